"""Mutation families and the registry that plans cases from them."""
