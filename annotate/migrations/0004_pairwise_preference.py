# Human pairwise preferences (blind side-by-side): one row per reviewer and pair of outputs.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0003_review_workflow'),
        ('llmops_core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PairwisePreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('shown_left', models.CharField(choices=[('A', 'A'), ('B', 'B')], max_length=1)),
                ('choice', models.CharField(choices=[('A', 'A is better'), ('B', 'B is better'), ('tie', 'Tie')], max_length=3)),
                ('criteria', models.JSONField(blank=True, default=dict, help_text='e.g. {"fluency": "A"}')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('output_a', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='llmops_core.modeloutput')),
                ('output_b', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='llmops_core.modeloutput')),
                ('queue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='preferences', to='annotate.queue')),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pairwise_preferences', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['output_a', 'output_b'], name='preference_pair')],
                'constraints': [models.UniqueConstraint(fields=('reviewer', 'output_a', 'output_b'), name='preference_one_per_pair'), models.CheckConstraint(condition=models.Q(('output_a__lt', models.F('output_b'))), name='preference_a_first'), models.CheckConstraint(condition=models.Q(('choice__in', ['A', 'B', 'tie'])), name='preference_choice_valid')],
            },
        ),
    ]
