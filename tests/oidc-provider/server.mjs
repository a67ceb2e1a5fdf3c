// A real OpenID provider for mediagate's tests (tests/it/oidc_provider.rs): panva's oidc-provider
// (pinned by package-lock.json; scripts/test installs it outside the repo with npm ci),
// configured as a production issuer would be for an API:
//   - resource indicators with JWT access tokens (RFC 9068, header typ "at+jwt"), audience
//     "mediagate", through the client_credentials grant and the authorization code grant;
//   - ID tokens through the authorization code grant, for the same client, whose client_id is also
//     "mediagate" (so an ID token's aud equals the API's audience: the confusion under test).
// The login and consent steps complete without a form (the account is given as `login_hint`), so
// a test can walk the whole code flow with plain HTTP requests.
//
// Usage: MEDIAGATE_OIDC_PROVIDER_NODE_MODULES=<that install>/node_modules node server.mjs
// Prints one line {"issuer": "http://127.0.0.1:PORT"} on stdout once it listens on a random port.
// POST /test/rotate-keys (test control, not part of OIDC): the signing key is replaced by a new
// one; the old key leaves the JWKS at once, and tokens are signed with the new key from then on.
// It exits when its stdin closes, so it never outlives the test that started it.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Resolved from MEDIAGATE_OIDC_PROVIDER_NODE_MODULES (the install scripts/test makes).
const modules = process.env.MEDIAGATE_OIDC_PROVIDER_NODE_MODULES;
if (!modules) {
  console.error('MEDIAGATE_OIDC_PROVIDER_NODE_MODULES is not set');
  process.exit(2);
}
const require = createRequire(join(modules, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const CLIENT_ID = 'mediagate';
const CLIENT_SECRET = 'a client secret for the local test provider only';
const REDIRECT_URI = 'http://127.0.0.1/callback';
const AUDIENCE = 'mediagate';
const RESOURCE = 'urn:mediagate:api';

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function provider(issuer, key) {
  const p = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        scope: 'openid profile api',
      },
    ],
    jwks: { keys: [key] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: `user ${sub}` }),
    }),
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    scopes: ['openid', 'profile', 'api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== RESOURCE) throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'api',
            audience: AUDIENCE,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: { IdToken: 3600, AccessToken: 3600, ClientCredentials: 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  return p;
}

let current;
const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/test/rotate-keys') {
      current = provider(current.issuer, signingKey());
      res.writeHead(204).end();
      return;
    }
    const interaction = req.url.match(/^\/interaction\/([^/?]+)/);
    if (interaction) {
      // Login and consent without a form: the account is the request's login_hint, and every
      // client of this provider is first-party, so what it asks for is granted.
      const details = await current.interactionDetails(req, res);
      let result;
      if (details.prompt.name === 'login') {
        if (!details.params.login_hint) {
          res.writeHead(400).end('login_hint is required');
          return;
        }
        result = { login: { accountId: details.params.login_hint } };
      } else {
        const grant = new current.Grant({
          clientId: details.params.client_id,
          accountId: details.session.accountId,
        });
        grant.addOIDCScope(details.params.scope);
        grant.addResourceScope(RESOURCE, 'api');
        result = { consent: { grantId: await grant.save() } };
      }
      await current.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
      return;
    }
    current.callback()(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  current = provider(issuer, signingKey());
  console.log(JSON.stringify({ issuer }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
