META
key;value
description;Edge case: nothing fits the budget
budget;5,0
vote_type;approval
PROJECTS
project_id;cost
x;10
y;7
VOTES
voter_id;vote
1;x
2;x,y
