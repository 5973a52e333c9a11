-- The task page says how many of all a person's tasks are left. Counting them on every page
-- read every one of the person's index entries (a page of a list of 5,000 cost 2.5 times a
-- page of 50); the counts are now kept with the writes, one row per person, changed in the
-- same transaction as the task (`src/server/db/todos.rs`).
create table todo_counts (
    user_id text primary key references users (id) on delete cascade,
    total bigint not null default 0,
    done bigint not null default 0
);

insert into todo_counts (user_id, total, done)
select user_id, count(*), count(completed_at) from todos group by user_id;

-- It served only the counts.
drop index todos_user_id_completed_at;
