-- API sign-ins (`POST /api/v1/auth/token`). A family is one sign-in of one client: every
-- refresh replaces its refresh token with a new one (rotation). Presenting a replaced token
-- again means it was copied: the whole family is revoked. Only keyed hashes of tokens are kept.
create table refresh_families (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at text not null,
    last_used_at text not null,
    expires_at text not null,
    revoked_at text,
    user_agent text,
    ip text
);
create index refresh_families_user_id on refresh_families (user_id);

create table refresh_tokens (
    token_hash text primary key,
    family_id text not null references refresh_families (id) on delete cascade,
    created_at text not null,
    used_at text
);
create index refresh_tokens_family_id on refresh_tokens (family_id);
