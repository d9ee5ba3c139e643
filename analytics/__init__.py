"""Analytics: pandas engagement reports and quest predictions from the attempt records."""
