"""The series: synthetic generation, readers of users' and archive files, datasets and splits."""
