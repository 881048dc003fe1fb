META
key;value
description;Edge case: cumulative ballots (points as utilities), an empty ballot
budget;20
vote_type;cumulative
PROJECTS
project_id;cost
p1;6
p2;6
p3;4
VOTES
voter_id;vote;points
1;p1,p3;3,1
2;p2;4
3;p1;1
4;;
