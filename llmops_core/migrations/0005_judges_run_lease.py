# Judge runs (and generation runs) get a lease and a heartbeat so a crashed step is resumed.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('llmops_core', '0004_judgeversion_immutable_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='generationrun',
            name='cursor',
            field=models.PositiveIntegerField(default=0, help_text='Subjects before this position are done; the next chunk starts here.'),
        ),
        migrations.AddField(
            model_name='generationrun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, help_text='Last sign of life of the step holding the run.', null=True),
        ),
        migrations.AddField(
            model_name='generationrun',
            name='lease_token',
            field=models.CharField(blank=True, help_text='Which worker step holds the run; empty when free.', max_length=32),
        ),
        migrations.AddField(
            model_name='judgerun',
            name='cursor',
            field=models.PositiveIntegerField(default=0, help_text='Subjects before this position are done; the next chunk starts here.'),
        ),
        migrations.AddField(
            model_name='judgerun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, help_text='Last sign of life of the step holding the run.', null=True),
        ),
        migrations.AddField(
            model_name='judgerun',
            name='lease_token',
            field=models.CharField(blank=True, help_text='Which worker step holds the run; empty when free.', max_length=32),
        ),
        migrations.AlterField(
            model_name='judgeversion',
            name='prompt_template',
            field=models.TextField(blank=True, help_text="The judge's user prompt: {{ input }}, {{ output }} (pairwise: {{ output_a }}, {{ output_b }}) and {{ criteria }}. Empty: the built-in template."),
        ),
        migrations.AlterField(
            model_name='judgeversion',
            name='system_message',
            field=models.TextField(blank=True, help_text="Extra instructions for the judge's system message; the rubric and the reply format are always added."),
        ),
    ]
