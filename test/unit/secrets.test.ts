import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildCorpus, describeCorpus } from '../../src/training/corpus';
import { SECRET_PLACEHOLDER, findSecretSpans, isHighEntropyToken, isSecretName, shannonEntropy } from '../../src/training/secretPatterns';
import { redactSecrets } from '../../src/training/secrets';
import { tempDir, writeFiles } from './helpers';

/**
 * Planted secrets, assembled at run time so that this file holds no token a scanner would flag.
 * `value` is what must never reach the corpus; `line` is how it appears in a file.
 */
const AWS_ID = ['AKIA', 'Q3EGRTYUIOPLKJHG'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYzzAMPLEKEY'].join('/');
const GITHUB = ['ghp', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('_');
const SK_LIVE = ['sk', 'live', '4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c'].join('-');
const PASSWORD = 'hunter2-very-secret';
const ENTROPY = 'Xk9pLm3Qr7Tz2Wv5Yb8NqP4s';
const KEY_BODY = [
  'MIIEowIBAAKCAQEAxK9pLm3Qr7Tz2Wv5Yb8Nc1Df4Gh6Jk0LsQwErTyUiOpAsDfGhJk',
  'lZxCvBnM1234567890qwertyuiopASDFGHJKLzxcvbnm0987654321QWERTYUIOPas',
  'dfghjklZXCVBNM1357924680MnBvCxZaSdFgHjKlPoIuYtReWq==',
].join('\n');
const PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY}\n-----END RSA PRIVATE KEY-----`;
const SLACK = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const DB_PASSWORD = 's3cr3tPass';

const PLANTED: Record<string, { file: string; value: string }> = {
  'private key block': { file: 'deploy.txt', value: KEY_BODY },
  'AWS access key ID': { file: 'aws.sh', value: AWS_ID },
  'AWS secret access key': { file: 'aws.sh', value: AWS_SECRET },
  'GitHub token': { file: 'ci.yml', value: GITHUB },
  'password assignment': { file: 'notes.txt', value: PASSWORD },
  'high-entropy string': { file: 'blob.md', value: ENTROPY },
  'API_KEY=sk-live-…': { file: 'settings.ini', value: SK_LIVE },
  'Slack token': { file: 'ci.yml', value: SLACK },
  'database password': { file: 'app.ts', value: DB_PASSWORD },
};

const FILES: Record<string, string> = {
  'deploy.txt': `Deploy key:\n${PRIVATE_KEY}\n`,
  'aws.sh': `export AWS_ACCESS_KEY_ID=${AWS_ID}\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`,
  'ci.yml': `env:\n  GH: ${GITHUB}\n  SLACK_HOOK_TOKEN: "${SLACK}"\n`,
  'notes.txt': `todo: buy milk\npassword = ${PASSWORD}\n`,
  'blob.md': `The blob is ${ENTROPY} (keep it).\n`,
  'settings.ini': `[service]\nAPI_KEY=${SK_LIVE}\nretries = 3\n`,
  'app.ts': `const url = "postgres://admin:${DB_PASSWORD}@db.example.com:5432/app";\n`,
  'plain.ts': [
    'const password = prompt();',
    'if (token.length > 0) return token;',
    'const cancellationTokenSourceFactory = createFactory(options);',
    'export function hasOneOrMoreJsAndNoTsFiles(project: Project): boolean {',
    '  "integrity": "sha512-' + 'q'.repeat(20) + 'Zx9Kp2Lm4Nq6Rs8Tu0Vw1Xy3Za5Bc7De9Fg' + '==",',
    '  const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";',
    '  apiKey: string;',
    '}',
  ].join('\n'),
};

describe('secrets inside files', function () {
  const tmp = tempDir('charm-secrets-');
  const root = path.join(tmp.dir, 'project');
  before(() => writeFiles(root, FILES));
  after(() => tmp.cleanup());

  it('replaces every planted secret, of every kind, before it reaches the corpus', async () => {
    const c = await buildCorpus([root]);
    for (const [kind, { value }] of Object.entries(PLANTED)) assert.ok(!c.text.includes(value), `${kind} leaked`);
    // The key names stay; only values go.
    for (const kept of [
      'password = <secret>',
      'API_KEY=<secret>',
      'export AWS_ACCESS_KEY_ID=<secret>',
      '-----BEGIN RSA PRIVATE KEY-----\n<secret>\n-----END',
      'postgres://admin:<secret>@db',
    ]) {
      assert.ok(c.text.includes(kept), kept);
    }
    assert.ok(c.text.includes('todo: buy milk') && c.text.includes('retries = 3'));
  });

  it('counts replacements per file and says so in the one-line description', async () => {
    const c = await buildCorpus([root]);
    const counts = Object.fromEntries(c.redacted.map((r) => [path.basename(r.path), r.count]));
    assert.deepEqual(counts, { 'app.ts': 1, 'aws.sh': 2, 'blob.md': 1, 'ci.yml': 2, 'deploy.txt': 1, 'notes.txt': 1, 'settings.ini': 1 });
    assert.match(describeCorpus(c), /; 9 secrets replaced in 7 files$/);
    // Files' sizes are those of the text trained on.
    const notes = c.files.find((f) => f.path.endsWith('notes.txt'));
    assert.equal(notes?.chars, `todo: buy milk\npassword = ${SECRET_PLACEHOLDER}\n`.length);
  });

  it('leaves ordinary code alone: calls, member access, identifiers, lockfile hashes, type annotations', async () => {
    const c = await buildCorpus([path.join(root, 'plain.ts')]);
    assert.equal(c.text, FILES['plain.ts']);
    assert.deepEqual(c.redacted, []);
  });

  it('keeps secrets with includeSecrets', async () => {
    const c = await buildCorpus([root], { includeSecrets: true });
    for (const [kind, { value }] of Object.entries(PLANTED)) assert.ok(c.text.includes(value), `${kind} missing`);
    assert.deepEqual(c.redacted, []);
    assert.ok(!c.text.includes(SECRET_PLACEHOLDER));
  });

  it('is idempotent: redacted text has nothing left to redact', async () => {
    const once = await redactSecrets(Object.values(FILES).join('\n'), '/x/all.txt');
    assert.ok(once.count >= 9);
    const twice = await redactSecrets(once.text, '/x/all.txt');
    assert.equal(twice.count, 0);
    assert.equal(twice.text, once.text);
  });

  it('redacts secretlint-only finds too (SendGrid key) at the right place', async () => {
    const sendgrid = ['SG', 'abcdefghijklmnopqrstuv', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'].join('.');
    const r = await redactSecrets(`mail: ${sendgrid}\n`, '/x/mail.yml');
    assert.equal(r.text, 'mail: <secret>\n');
  });
});

describe('secret detectors', () => {
  it('names secrets by their last word', () => {
    for (const name of ['password', 'DB_PASSWORD', 'apiKey', 'API_KEY', 'client-secret', 'auth.token', 'userPass', 'passwd', 'SECRET_KEY', 'privateKey']) {
      assert.ok(isSecretName(name), name);
    }
    for (const name of ['bypass', 'tokens', 'passwordLabel', 'tokenType', 'keyboard', 'monkey', 'key', 'secretary']) {
      assert.ok(!isSecretName(name), name);
    }
  });

  it('tells random tokens from identifiers, paths and hashes by entropy and shape', () => {
    assert.ok(shannonEntropy('aaaa') === 0 && Math.abs(shannonEntropy('abcd') - 2) < 1e-12);
    for (const t of [ENTROPY, 'Q2hhcm1TZWNyZXRWYWx1ZTEyMzQ1Ng==', 'a8Kd93LqZ0pX7vB2nM4cR6tY1w']) assert.ok(isHighEntropyToken(t), t);
    for (const t of [
      'thisIsAVeryLongCamelCaseIdentifierName',
      'UNSIGNED_INT_10F_11F_11F_REV',
      'src/training/secretPatterns',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
      '550e8400-e29b-41d4-a716-446655440000',
      'docs/Web/API/DOMQuad/p1',
      'short1A',
    ])
      assert.ok(!isHighEntropyToken(t), t);
  });

  it('ignores placeholders, templates and empty values after secret names', () => {
    for (const line of [
      'password = <secret>',
      'password: "${DB_PASS}"',
      'token = ""',
      'password: ****',
      'api_key = None',
      'password = process.env.PASSWORD',
      'token := os.Getenv("T")',
    ]) {
      assert.deepEqual(findSecretSpans(line), [], line);
    }
  });
});
