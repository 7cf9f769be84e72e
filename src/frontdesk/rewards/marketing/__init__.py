"""What offers and advertisements share: the audience rule language and marketing consent."""
