"""Volunteer registry: people, skills, trainings and certificates, and one record per person across provinces."""
