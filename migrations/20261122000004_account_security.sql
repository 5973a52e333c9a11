-- One-time tokens sent by email (verify an address, reset a password). Only a keyed hash of
-- each token is stored; a token works once and only before it expires.
create table one_time_tokens (
    token_hash text primary key,
    purpose text not null,
    user_id text not null references users (id) on delete cascade,
    -- For email verification: the address the link proves (the user may have changed it since).
    email text,
    created_at text not null,
    expires_at text not null,
    used_at text
);
create index one_time_tokens_user_purpose on one_time_tokens (user_id, purpose);

-- What happened to an account, shown to its owner as "Recent activity".
create table audit_events (
    id text primary key,
    user_id text references users (id) on delete cascade,
    event text not null,
    -- The email a failed sign-in tried, when no user matched.
    detail text,
    ip text,
    user_agent text,
    request_id text,
    created_at text not null
);
create index audit_events_user_created on audit_events (user_id, created_at);

-- Fixed-window counters for rate limits, shared by every instance using this database.
create table rate_limits (
    bucket text primary key,
    window_start bigint not null,
    hits bigint not null
);
