"""Demo and scale data: quests, rosters and a deterministic cohort simulator."""
