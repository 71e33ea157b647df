from collections import Counter

from django.core.management.base import BaseCommand, CommandParser

from aiplans.training_data import FORMATS, examples, preference_pairs, training_data_lines


class Command(BaseCommand):
    help = "Write the pseudonymised training data as JSON Lines (docs/AI.md has the dataset card)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="openai-chat")
        parser.add_argument("--output", "-o", help="File to write; standard output when left out.")
        parser.add_argument("--stats", action="store_true", help="Print the counts for the dataset card instead.")

    def handle(self, *args, format: str, output: str | None, stats: bool, **options) -> None:
        if stats:
            counts = Counter(example["source"] for example in examples())
            counts["preference_pairs"] = sum(1 for _ in preference_pairs())
            for name in ("trainer_plan", "approved_ai", "preference_pairs"):
                self.stdout.write(f"{name}: {counts[name]}")
            return
        lines = 0
        if output:
            with open(output, "w", encoding="utf-8") as file:
                for line in training_data_lines(export_format=format):
                    file.write(line)
                    lines += 1
        else:
            for line in training_data_lines(export_format=format):
                self.stdout.write(line, ending="")
                lines += 1
        self.stderr.write(f"{lines} {format} records.")
