import * as assert from 'node:assert/strict';
import { TimeBudget, TimeBudgetOptions } from '../../src/training/timeBudget';

/** A budget on a clock the test moves; an evaluation reads 3 steps' worth of characters. */
function budgetAt(maxSeconds: number | undefined, more: Partial<TimeBudgetOptions> = {}) {
  const clock = { now: 0 };
  const budget = new TimeBudget({ startedAt: 0, maxSeconds, now: () => clock.now, charsPerStep: 100, evaluationChars: 300, ...more });
  return { clock, budget };
}

describe('TimeBudget', () => {
  it('without a time limit, every step fits and no time is used up', () => {
    const { clock, budget } = budgetAt(undefined);
    budget.stepTook(1e6, true);
    clock.now = 1e9;
    assert.equal(budget.fitsAnotherStep(), true);
    assert.equal(budget.fractionUsed(), 0);
    assert.equal(budget.secondsUsed(), 1e9);
  });

  it('counts from when the budget began, not from when it was made', () => {
    const { clock, budget } = budgetAt(10, { startedAt: 4 });
    clock.now = 7;
    assert.equal(budget.secondsUsed(), 3);
  });

  it('before any evaluation, keeps an estimate scaled from the last step for the final one', () => {
    // A 2 s step: the evaluation's forward pass over 3 steps' characters ~ 2 s, plus 1 s to save,
    // so 7 of the 10 s are for training; another 2 s step fits at 4 s, not at 5 s.
    const { clock, budget } = budgetAt(10);
    budget.stepTook(2, true);
    clock.now = 4;
    assert.equal(budget.fitsAnotherStep(), true);
    clock.now = 5;
    assert.equal(budget.fitsAnotherStep(), false);
  });

  it("does not judge by the run's first step (warming up), but scales the estimate with it", () => {
    const { clock, budget } = budgetAt(10);
    budget.stepTook(5, false);
    // Estimate 5 / 3 * 3 + 1 = 6 s kept: 4 s for training; the first step's 5 s are not counted.
    clock.now = 3.5;
    assert.equal(budget.fitsAnotherStep(), true);
    assert.ok(Math.abs(budget.fractionUsed() - 3.5 / 4) < 1e-12, `fraction ${budget.fractionUsed()}`);
  });

  it('once an evaluation is measured, keeps that time (with a margin) instead of the estimate', () => {
    const { clock, budget } = budgetAt(20);
    budget.stepTook(30, true); // an estimate of 31 s would leave no time at all
    budget.reserveForFinalEvaluation(5); // 6 s with the margin: 14 s for training
    clock.now = 7;
    assert.ok(Math.abs(budget.fractionUsed() - 0.5) < 1e-12, `fraction ${budget.fractionUsed()}`);
    budget.stepTook(1, true);
    clock.now = 12.5;
    assert.equal(budget.fitsAnotherStep(), true);
    clock.now = 13;
    assert.equal(budget.fitsAnotherStep(), false);
  });
});
