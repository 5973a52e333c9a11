-- Deleted tasks, kept for a few minutes so a delete or "Clear completed" from the task page can
-- be undone ("Undo"): the rows as they were, under the delete's own random id (`batch`, in the
-- page's address after the delete), until `expires_at`; a restore moves them back. The hourly
-- sweep deletes the expired ones, and a person's are deleted with their account.
create table deleted_todos (
    batch text not null,
    user_id text not null references users (id) on delete cascade,
    id text not null,
    title text not null,
    description text,
    due_on text,
    position text not null,
    completed_at text,
    created_at text not null,
    version bigint not null,
    expires_at text not null,
    primary key (batch, id)
);
create index deleted_todos_expires_at on deleted_todos (expires_at);
