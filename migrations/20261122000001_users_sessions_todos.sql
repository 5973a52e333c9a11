-- Portable SQL: this file runs unchanged on SQLite and PostgreSQL.
-- Ids are UUID v7 strings made in Rust; timestamps are RFC 3339 UTC text of fixed width
-- (2026-11-22T15:04:05.123456Z), so text order is time order on both databases.

create table users (
    id text primary key,
    email text not null unique,
    name text not null,
    -- argon2id PHC string; null for accounts that only sign in with GitHub or Google.
    password_hash text,
    email_verified_at text,
    created_at text not null,
    updated_at text not null
);

-- One row per browser session. The cookie holds a random 128-bit token; only a keyed hash
-- of it is stored, so a copy of this table cannot be replayed as cookies.
create table sessions (
    id_hash text primary key,
    user_id text references users (id) on delete cascade,
    data text not null,
    created_at text not null,
    last_seen_at text not null,
    expires_at text not null,
    user_agent text,
    ip text
);
create index sessions_user_id on sessions (user_id);
create index sessions_expires_at on sessions (expires_at);

create table todos (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    title text not null,
    completed_at text,
    created_at text not null,
    updated_at text not null
);
create index todos_user_id_id on todos (user_id, id);
