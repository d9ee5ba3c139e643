"""Portfolio: a student's reflections, checkpoint evidence, reviews received and achievements on
one page, private until they share it by a revocable link, and exportable as a Markdown post."""
