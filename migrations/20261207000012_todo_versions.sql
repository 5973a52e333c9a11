-- Each task's version: 1 when it is made, one more with every change. A form and an API
-- client say which version they changed (the edit form's hidden field, If-Match), and a
-- change of a task that has changed since is refused rather than overwriting the newer one.
alter table todos add column version bigint not null default 1;
