-- Two-factor authentication.

-- An authenticator app (TOTP, RFC 6238) per user. The secret is encrypted (ChaCha20-Poly1305,
-- a key derived from the application secret); `enabled_at` is null while it is being set up
-- (the person has not yet typed a code from it). Each time step is accepted once: `last_step`
-- is the newest one a code was accepted for.
create table totp_credentials (
    user_id text primary key references users (id) on delete cascade,
    secret text not null,
    enabled_at text,
    last_step bigint not null default 0,
    created_at text not null
);

-- Recovery codes: only a keyed hash of each; each works once.
create table recovery_codes (
    code_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at text not null,
    used_at text
);
create index recovery_codes_user_id on recovery_codes (user_id);

-- Sign-ins whose first factor was given and that wait for the second (a browser's, or an API
-- client's `mfa_token`). Only a keyed hash of the token; 5 minutes and 5 attempts each. The
-- credential version it started under must still be the user's when it completes.
create table mfa_challenges (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    kind text not null,
    method text not null,
    next text,
    credential_version bigint not null,
    attempts bigint not null default 0,
    created_at text not null,
    expires_at text not null
);
create index mfa_challenges_user_id on mfa_challenges (user_id);
