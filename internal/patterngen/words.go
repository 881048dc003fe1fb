package patterngen

// The words the generated fund is written in: plain sentences in the
// grantees', the panel's and the stewards' own voices, combined at random
// so that thousands of accounts read like accounts, not like lorem ipsum.

// sectionKeys are the fixed sections of a reflective account, in order.
var sectionKeys = []string{"context_changed", "what_we_tried", "what_happened", "not_as_hoped",
	"what_we_learnt", "what_we_will_change", "what_we_need", "signal_readings"}

// sentences are what a grantee might write in each section.
var sentences = map[string][]string{
	"context_changed": {
		"The bus that served the north side of the estate was cut in the spring, and fewer people could reach us.",
		"The community centre changed hands, and we now pay for the room by the hour.",
		"Energy bills went up again, and more families told us they were choosing between heating and eating.",
		"A new housing association took over two of the blocks and has been open to working with us.",
		"The local school started its own breakfast club, so some of the children we knew come less often.",
		"Two of our longest-serving volunteers moved away this season.",
		"The council's advice service now runs by appointment only, and the waiting list is long.",
	},
	"what_we_tried": {
		"We moved the Thursday session to the early evening so people who work could come.",
		"We asked the people who come most often to plan one session themselves.",
		"We tried cooking together instead of serving a meal, with everyone bringing one thing.",
		"We paired newcomers with someone who had been coming for a while.",
		"We ran a small fund that people could ask for help with bus fares.",
		"We held the conversation in the park instead of the hall.",
		"We translated our leaflet into the three languages most spoken on the estate.",
	},
	"what_happened": {
		"More people came than we expected, and several stayed to help clear up.",
		"The first two sessions were quiet, then word got round and the room filled.",
		"People talked more when they were doing something with their hands.",
		"A group of older residents started meeting on their own between our sessions.",
		"Some of the younger people took over the music and the planning without being asked.",
		"The conversations were harder than we thought, but people kept coming back.",
		"Neighbours who had lived on the same landing for years met for the first time.",
	},
	"not_as_hoped": {
		"Fewer men came than we hoped, and we have not found out why yet.",
		"The evening session clashed with prayers for some families, and we did not think of it in time.",
		"We lost touch with the people who stopped coming, and did not ask them why.",
		"The bus fare fund ran out in six weeks.",
		"Our volunteers were tired by the end of the quarter, and two stepped back.",
		"Writing things down after every session was more than we could manage.",
		"The housing association's promise of a second room did not come through.",
	},
	"what_we_learnt": {
		"Trust takes longer than a quarter, and it grows from small things done reliably.",
		"People want to give as well as receive; asking for help brought people closer.",
		"The time of day matters as much as what we offer.",
		"When people plan a session themselves, they bring their friends.",
		"We learnt to ask people who stopped coming, gently, what changed for them.",
		"Food is the easiest way in, but it is the conversations that keep people.",
		"Our own way of talking about the work put some people off.",
	},
	"what_we_will_change": {
		"We will keep the evening session and add one on Saturday mornings.",
		"We will share the cooking between more people so nobody carries it alone.",
		"We will ask two residents to join our steering group.",
		"We will write shorter notes, together, at the end of each session.",
		"We will talk to the mosque and the churches before we set dates.",
		"We will stop the leaflet and ask people to bring a neighbour instead.",
	},
	"what_we_need": {
		"Help with the cost of the room while we look for a free one.",
		"Someone to help us think about how to look after our volunteers.",
		"An introduction to the people running the new youth project nearby.",
		"A conversation with the council about the bus route, with the fund beside us.",
		"Time with the other grantees working on food, to learn from each other.",
		"Nothing new this quarter: what we have is working.",
	},
	"signal_readings": {
		"About forty people came each week, up from twenty-five; a third were new.",
		"Twelve people told us they had met someone they now see outside the sessions.",
		"Most of the people who came in the first month were still coming in the third.",
		"Three people have started volunteering after coming as guests.",
		"We counted fewer visits but longer ones: people stayed for most of the evening.",
		"Half the people at the planning meeting had never been to one before.",
	},
}

// stories are about people, anonymised in the telling.
var stories = []string{
	"A man in his seventies who had not left his flat for months came with his neighbour, and now brings the bread.",
	"A young mother new to the country found someone who spoke her language and now helps others fill in forms.",
	"A boy who was often in trouble at school ran the music for the whole evening and asked to do it again.",
	"Two women who had fallen out years ago cooked side by side and have been walking together since.",
	"A carer told us it was the first evening in a year she had spent with people her own age.",
	"A volunteer who came as a guest during a hard winter now opens the hall every Thursday.",
	"A grandfather taught three teenagers to fix a bicycle, and they have started a repair table.",
	"A woman who had been sleeping on a friend's sofa found the courage to ask for help with housing.",
	"A family who arrived last year invited everyone at their table to their daughter's birthday.",
	"A man who lost his job in the spring said coming on Tuesdays gave his week a shape.",
}

// responses are the stewards' answers to an account.
var responses = []string{
	"Thank you for writing so honestly, especially about what did not go as hoped. We would like to talk about the room costs at the next gathering.",
	"This is a lovely account. The idea of people planning a session themselves is one other grantees have been wondering about; may we share it with them?",
	"Thank you. We hear that the volunteers are tired; let us find a time to talk about what would help, including money for their time.",
	"We noticed the bus route came up in several accounts this quarter. We will raise it with the council and tell you what they say.",
	"Thank you for the readings: they help us see the shape of things without turning them into targets. Nothing is needed from you.",
}

// funderSentences are what the stewards write in the funder's own reflections.
var funderSentences = []string{
	"We were slower than we promised in answering accounts this quarter, and we are sorry for it.",
	"We tried holding the grantees' gathering on the estate instead of in our office, and more people came.",
	"We learnt that our forms still ask for more than we use; we have cut two questions.",
	"Several grantees told us the same thing about transport, and we are taking it to the council together.",
	"We will pay volunteers' expenses without asking for receipts under a small amount.",
	"We need to hear more from the groups we hear from least, and will visit each of them this season.",
}

// themeNames are the fund's themes; the first Config.Themes are curated,
// the rest suggested or set aside.
var themeNames = []struct{ name, description string }{
	{"Trust takes time", "Relationships that grow slowly, from small things done reliably."},
	{"Food brings people together", "Cooking and eating as a way in."},
	{"Getting there", "Buses, fares, distance and the cost of turning up."},
	{"Loneliness in later life", "Older residents living alone."},
	{"Volunteers running on empty", "Tiredness, stepping back, looking after the people who help."},
	{"Money worries", "Bills, debt, and choosing between heating and eating."},
	{"Young people leading", "Young people taking over the planning, the music, the room."},
	{"Working with the council", "Services that changed, closed or moved, and how we speak up together."},
	{"Rooms and places to meet", "Halls, costs, keys and the lack of free space."},
	{"Waiting for help", "Waiting lists for advice, housing and mental health support."},
	{"Languages and belonging", "Newcomers, translation, and feeling at home."},
	{"Giving as well as receiving", "People who came as guests becoming hosts."},
	{"Faith groups as partners", "Mosques, churches and temples as neighbours in the work."},
	{"Digital exclusion", "Forms online, phones, and people left out."},
	{"Measuring what matters", "How we notice change without counting the wrong things."},
	{"Weather and seasons", "Winter darkness, summer holidays, and how the year shapes who comes."},
}

// dialoguePurposes are why a dialogue is convened.
var dialoguePurposes = []string{
	"What are we each seeing about transport, and what could we ask of the council together?",
	"Looking after volunteers: what has worked for you, and where are we stuck?",
	"Food projects comparing notes after the winter.",
	"How do we hear from the people who stopped coming?",
	"Young people leading: what did we have to let go of?",
	"What do we ask of the funder for next year?",
	"Rooms: sharing what we pay and who has space to lend.",
	"Newcomers and languages: what helped people feel at home?",
}

// prompts are the questions a dialogue opens with.
var prompts = []string{
	"What patterns are we seeing across our work?",
	"Where are we stuck, and what would help?",
	"What do we ask of each other, and of the funder?",
}

// notes are a dialogue's shared notes, one paragraph per saved version.
var notes = []string{
	"We went round the room: three of us have lost people because of the bus cut. The fund offered to come to the council meeting with us.",
	"Everyone agreed that asking people to plan a session themselves works, but it takes a few weeks of holding back.",
	"Volunteers: two groups now pay a small amount for their time and say it changed who volunteers. Others worry about benefits rules.",
	"We shared what we pay for rooms. The housing association may lend its hall on Mondays.",
	"Nobody has a good way yet of hearing from people who stopped coming. We will each try asking one person and compare.",
	"The panel members asked what 'success' looks like to us. We said: people who come back, and bring someone.",
}

// actions are what a dialogue's participants agree to do.
var actions = []string{
	"Write to the council's transport officer, with the fund copied in.",
	"Share our volunteer expenses policy with the others.",
	"Ask the housing association about Monday evenings in their hall.",
	"Try asking one person who stopped coming what changed.",
	"Put together a list of free rooms on the estate.",
	"Invite the youth project to the next dialogue.",
	"Find out what the benefits rules say about paying volunteers.",
	"Bring a neighbour to the next gathering.",
}

// issues are passed up to the stewards, with their answers.
var issues = []struct{ body, answer string }{
	{"Could the fund pay volunteers a small amount for their time, where the rules allow?", "Yes: up to a small weekly amount, and we will check the benefits rules with each of you first."},
	{"The reporting dates fall in the school holidays; could they move?", "They can. We will move them a month later from next quarter."},
	{"Will the fund come with us to the council about the bus route?", "We will. One of us will be at the meeting in the spring."},
	{"Room costs have doubled; is there room in the budget to help?", ""},
}
