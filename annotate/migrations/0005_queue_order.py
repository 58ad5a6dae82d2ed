# Queues' served order (random by default, a seed each) and archiving. Queues made before
# this keep the import order their items were positioned in.

import annotate.models.queues
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0004_pairwise_preference'),
    ]

    operations = [
        migrations.AddField(
            model_name='queue',
            name='archived_at',
            field=models.DateTimeField(blank=True, help_text='An archived queue is closed, read-only and left out of lists; reports stay.', null=True),
        ),
        migrations.AddField(
            model_name='queue',
            name='order',
            field=models.CharField(default='import', max_length=16),
        ),
        migrations.AlterField(
            model_name='queue',
            name='order',
            field=models.CharField(choices=[('random', 'Random (seeded), answers to one input kept apart'), ('interleaved', 'Interleaved: versions take turns, answers to one input apart'), ('import', 'Import order')], default='random', help_text='The order items are served in, fixed as they join the queue.', max_length=16),
        ),
        migrations.AddField(
            model_name='queue',
            name='seed',
            field=models.PositiveIntegerField(default=annotate.models.queues.new_seed, help_text='Seeds the served order: the same seed, the same order.'),
        ),
        migrations.AddConstraint(
            model_name='queue',
            constraint=models.CheckConstraint(condition=models.Q(('archived_at__isnull', True), ('status', 'closed'), _connector='OR'), name='queue_archived_is_closed'),
        ),
    ]
