import * as assert from 'node:assert/strict';
import { suggestionLooksSecret } from '../../../src/extension/completion/secretFilter';

// Assembled at run time so that this file holds no token a scanner would flag.
const GITHUB = ['ghp', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('_');
const AWS_ID = ['AKIA', 'Q3EGRTYUIOPLKJHG'].join('');
const SLACK = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const STRIPE = ['sk', 'live', 'Ab12Cd34Ef56Gh78Ij90Kl'].join('_');
const SK_LIVE = ['sk', 'live', '4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c'].join('-');

describe('suggestionLooksSecret', () => {
  const secret: [string, string, string][] = [
    ['the placeholder', 'password = ', '<secret>'],
    ['the placeholder cut short', 'password = "', '<sec'],
    ['the placeholder finished', 'password = <sec', 'ret>'],
    ['a private key header', '', '-----BEGIN OPENSSH PRIVATE KEY-----'],
    ['a private key continued', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEow'],
    ['an AWS key ID', 'aws_id = ', AWS_ID],
    ['an AWS key ID, half typed', `id: ${AWS_ID.slice(0, 6)}`, AWS_ID.slice(6, 12)],
    ['a GitHub token', 'Authorization: token ', GITHUB],
    ['a GitHub token cut by maxLength', '', GITHUB.slice(0, 14)],
    ['a Slack token', 'hook: ', SLACK],
    ['a Stripe key', 'stripe(', `"${STRIPE}")`],
    ['an sk- API key', 'API_KEY=', SK_LIVE],
    ['a high-entropy token', 'blob = ', 'Xk9pLm3Qr7Tz2Wv5Yb8NqP4s'],
    ['a high-entropy token going on from the prefix', 'x: Xk9pLm3Qr7', 'Tz2Wv5Yb8NqP4s'],
    ['a password assignment', 'password = ', 'hunter2-very-secret'],
    ['a quoted secret value', '"secret": "', 'abc-def-123"'],
    ['an unclosed quoted value', "db_password = '", 'tr0ub4dor'],
    ['a password in a URL', 'url = "postgres://admin:', 's3cr3tPass@db/app"'],
  ];
  for (const [kind, prefix, suggestion] of secret) {
    it(`flags ${kind}`, () => assert.equal(suggestionLooksSecret(prefix, suggestion), true));
  }

  const ordinary: [string, string, string][] = [
    ['a call after a secret name', 'const password = ', 'prompt();'],
    ['a member access', 'if (', 'token.length > 0) return token;'],
    ['a long camelCase identifier', 'const x = ', 'createCancellationTokenSourceFactory(options);'],
    ['a type annotation', '  apiKey', ': string;'],
    ['a comparison', 'if (token ', '=== "function") {'],
    ['a variable', 'const token = ', 'tokens[i];'],
    ['an environment lookup', 'password = ', 'process.env.DB_PASSWORD'],
    ['a git hash', 'commit ', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b'],
    ['plain prose', 'The ', 'password is stored in the keychain.'],
    ['an empty suggestion', 'password = ', ''],
    ['a secret typed by the user, suggestion elsewhere', `key = "${SK_LIVE}"`, ';'],
  ];
  for (const [kind, prefix, suggestion] of ordinary) {
    it(`passes ${kind}`, () => assert.equal(suggestionLooksSecret(prefix, suggestion), false));
  }

  it('looks at the end of a very long line only', () => {
    const long = 'x'.repeat(100_000);
    assert.equal(suggestionLooksSecret(long + ' password = ', 'hunter2-very-secret'), true);
    assert.equal(suggestionLooksSecret(`password = ${long}`, ' + 1'), false);
  });
});
