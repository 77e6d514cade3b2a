// A local OpenID provider that behaves like ProConnect, for tests/accounts/test_oidc.py.
//
// Started by the test as `node provider.mjs` with OIDC_PROVIDER_CONFIG holding a JSON object
// {"clients": [client metadata...], "accounts": {"<sub>": {claims...}}}. It listens on
// 127.0.0.1 on a free port over plain HTTP and prints one line, `issuer=<url>`, once ready.
//
// What makes it ProConnect-like:
// - userinfo signed as a JWT for clients registering `userinfo_signed_response_alg`;
// - access tokens living 60 s;
// - the ProConnect claims (email, given_name, usual_name, siret, uid), one scope per claim;
// - authorization requests refused when they carry a parameter outside ProConnect's list or a
//   state / nonce shorter than 32 characters (ProConnect answers such requests with an error).
// Its built-in development login form (devInteractions) takes any account id as login.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const ALLOWED_AUTHORIZATION_PARAMS = new Set([
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'acr_values',
]);
const MIN_STATE_AND_NONCE_LENGTH = 32;

const { clients, accounts } = JSON.parse(process.env.OIDC_PROVIDER_CONFIG);

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'pilotis-test', alg: 'RS256', use: 'sig' };
}

// Why the authorization request breaks ProConnect's rules, or null when it follows them.
function authorizationRequestProblem(query) {
  const unexpected = Object.keys(query).filter((name) => !ALLOWED_AUTHORIZATION_PARAMS.has(name));
  if (unexpected.length) {
    return `unexpected parameter(s): ${unexpected.join(', ')}`;
  }
  for (const name of ['state', 'nonce']) {
    if (String(query[name] ?? '').length < MIN_STATE_AND_NONCE_LENGTH) {
      return `${name} shorter than ${MIN_STATE_AND_NONCE_LENGTH} characters`;
    }
  }
  return null;
}

async function findAccount(_ctx, id) {
  const claims = accounts[id];
  if (!claims) {
    return undefined;
  }
  return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    findAccount,
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      siret: ['siret'],
      uid: ['uid'],
    },
    features: {
      devInteractions: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => false },
    responseTypes: ['code'],
    ttl: {
      AccessToken: 60,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
    },
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth') {
      const problem = ctx.method === 'GET'
        ? authorizationRequestProblem(ctx.query)
        : 'authorization requests are GET only';
      if (problem) {
        ctx.status = 400;
        ctx.type = 'text/plain';
        ctx.body = `rejected like ProConnect: ${problem}`;
        return;
      }
    }
    await next();
  });

  server.on('request', provider.callback());
  console.log(`issuer=${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
