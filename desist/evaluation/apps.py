from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "desist.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation: proven reoffending and Data Lab"
