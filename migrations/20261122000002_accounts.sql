-- Identities at GitHub and Google, each pointing to one user. An identity is keyed by the
-- provider and the provider's own, stable user id (never by email, which can change hands).
create table accounts (
    provider text not null,
    provider_user_id text not null,
    user_id text not null references users (id) on delete cascade,
    -- The email the provider gave at linking time, for display only.
    email text,
    created_at text not null,
    primary key (provider, provider_user_id)
);
-- One identity per provider per user.
create unique index accounts_user_provider on accounts (user_id, provider);
