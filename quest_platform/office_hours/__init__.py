"""Office hours for students: the slots their teachers offer, booking one for their team or a
small group, and cancelling it."""
