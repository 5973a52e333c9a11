// A real, certified OpenID Provider for the browser tests: npm `oidc-provider` with its own
// login and consent pages (its development interactions: any login and password sign in, the
// login being the account) and its defaults otherwise. So, as with Keycloak, Okta or Entra, the
// id_token of the authorization-code flow carries only `sub` and the protocol claims (OpenID
// Connect Core 5.4), and the email and name are served at its userinfo endpoint. The app is
// configured against it as an `[[oidc]]` provider (see playwright.config.ts).
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 3109);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  throw new Error('OIDC_REDIRECT_URI: the app callback to register');
}

export const CLIENT_ID = 'seamless-e2e';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET ?? 'oidc-e2e-client-secret',
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  // The standard claims of the `email` and `profile` scopes (the defaults know only `openid`).
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: 'Oona Openid' };
      },
    };
  },
  cookies: { keys: ['seamless-e2e-cookie-key'] },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider at ${issuer}`);
});
