META
key;value
description;Edge case: exact ties broken by id as a string ("10" < "100" < "9")
num_projects;3
num_votes;3
budget;10
vote_type;approval
PROJECTS
project_id;cost;name
9;5;nine
10;5;"ten, with ""quotes"""
100;5;hundred
VOTES
voter_id;vote
1;9,10
2;10,9
3;100
