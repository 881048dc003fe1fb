META
key;value
description;Edge case: zero-cost projects (one supported, one not), an empty ballot
budget;6
vote_type;approval
PROJECTS
project_id;cost
a;0
b;0.0
c;3
d;4
VOTES
voter_id;vote
1;a,c
2;c
3;d
4;
