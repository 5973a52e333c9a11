-- Passkeys (WebAuthn). `credential` is webauthn-rs's record of the credential (its public key,
-- signature counter and backup flags), as JSON; `id` is the credential id, base64url.
create table passkeys (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    name text not null,
    credential text not null,
    created_at text not null,
    last_used_at text
);
create index passkeys_user_id on passkeys (user_id);

-- A registration or a sign-in with a passkey between its two requests (the challenge the
-- browser signs): a keyed hash of its token, whose it is (registration), the state, and a
-- short expiry. In the database, so another instance can finish it; used once.
create table webauthn_ceremonies (
    token_hash text primary key,
    user_id text references users (id) on delete cascade,
    kind text not null,
    state text not null,
    expires_at text not null
);
