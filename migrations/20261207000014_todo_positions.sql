-- Each task's place in its owner's own order ("Move up", "Move down"): a rank, text in base 36
-- (`domain::rank`) whose text order is the order, so a move writes the moved task only. The
-- tasks there are keep the order they had (creation order: their ids are UUID v7, in time
-- order, and lowercase hex is base 36 too).
alter table todos add column position text;
update todos set position = replace(id, '-', '');
create index todos_by_position on todos (user_id, position, id);
