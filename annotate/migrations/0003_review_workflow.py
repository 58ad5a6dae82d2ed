"""Review workflow: queue reviewers with quotas and counters, leases counted on items, pins,
gold checks and adjudications."""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0002_rating_scale_trigger'),
        ('llmops_core', '0002_promptversion_immutable_trigger'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The auto-created many-to-many table of Queue.reviewers becomes the QueueReviewer model:
        # same table and columns, so existing reviewer lists are kept; then counters are added.
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='QueueReviewer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('queue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='annotate.queue')),
                        ('reviewer', models.ForeignKey(db_column='user_id', on_delete=django.db.models.deletion.CASCADE, related_name='queue_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'annotate_queue_reviewers',
                        'unique_together': {('queue', 'reviewer')},
                    },
                ),
                migrations.AlterField(
                    model_name='queue',
                    name='reviewers',
                    field=models.ManyToManyField(blank=True, related_name='review_queues', through='annotate.QueueReviewer', through_fields=('queue', 'reviewer'), to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
        migrations.AddField(
            model_name='queuereviewer',
            name='quota',
            field=models.PositiveIntegerField(blank=True, help_text='Most items this reviewer rates in the queue (no limit if empty).', null=True),
        ),
        migrations.AddField(model_name='queuereviewer', name='done_count', field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name='queuereviewer', name='skipped_count', field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name='queuereviewer', name='flagged_count', field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name='queuereviewer', name='active_ms_total', field=models.PositiveBigIntegerField(default=0)),
        migrations.AddField(
            model_name='queuereviewer',
            name='pin_count',
            field=models.PositiveIntegerField(default=0, help_text='Items the lead assigned to this reviewer specifically.'),
        ),
        migrations.CreateModel(
            name='Adjudication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scores', models.JSONField(help_text='Final score per criterion name, {"fluency": 4}')),
                ('note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['-updated_at'],
            },
        ),
        migrations.CreateModel(
            name='GoldCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('criteria', models.PositiveSmallIntegerField(help_text='Criteria with a known score.')),
                ('exact', models.PositiveSmallIntegerField(help_text='Criteria scored exactly as known.')),
                ('within_one', models.PositiveSmallIntegerField(help_text='Criteria within one point.')),
                ('abs_error', models.PositiveIntegerField(help_text='Sum of absolute errors over criteria.')),
                ('checked_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='ItemPin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RemoveIndex(
            model_name='queueitem',
            name='queueitem_next',
        ),
        migrations.AddField(
            model_name='queue',
            name='complete_count',
            field=models.PositiveIntegerField(default=0, help_text='Items that have all the reviews they need.'),
        ),
        migrations.AddField(
            model_name='queue',
            name='gold_count',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='queue',
            name='gold_every',
            field=models.PositiveSmallIntegerField(default=10, help_text='About one item in this many is a gold item, while any are unseen.'),
        ),
        migrations.AddField(
            model_name='queue',
            name='review_count',
            field=models.PositiveIntegerField(default=0, help_text='Annotations submitted.'),
        ),
        migrations.AddField(
            model_name='queueitem',
            name='flag_count',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='queueitem',
            name='leased_count',
            field=models.PositiveSmallIntegerField(default=0, help_text='Active, unexpired assignments (leases) on this item.'),
        ),
        migrations.AddField(
            model_name='queueitem',
            name='pinned',
            field=models.BooleanField(default=False, help_text='Only the reviewers it is pinned to may rate it.'),
        ),
        migrations.AddField(
            model_name='queueitem',
            name='skip_count',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='assignment',
            index=models.Index(condition=models.Q(('status', 'active')), fields=['expires_at'], name='assignment_active_expiry'),
        ),
        migrations.AddIndex(
            model_name='queueitem',
            index=models.Index(condition=models.Q(('done_count__lt', models.F('target_reviews')), ('is_gold', False), ('pinned', False)), fields=['queue', '-done_count', 'position', 'id'], name='queueitem_pool'),
        ),
        migrations.AddIndex(
            model_name='queueitem',
            index=models.Index(condition=models.Q(('is_gold', True)), fields=['queue', 'position', 'id'], name='queueitem_gold'),
        ),
        migrations.AddIndex(
            model_name='queueitem',
            index=models.Index(condition=models.Q(('contested', True)), fields=['queue', 'position', 'id'], name='queueitem_contested'),
        ),
        migrations.AddIndex(
            model_name='queueitem',
            index=models.Index(fields=['queue', 'position', 'id'], name='queueitem_order'),
        ),
        migrations.AddConstraint(
            model_name='queueitem',
            constraint=models.CheckConstraint(condition=models.Q(('leased_count__lte', django.db.models.expressions.CombinedExpression(models.F('target_reviews'), '-', models.F('done_count')))), name='queueitem_leased_le_open'),
        ),
        migrations.AddField(
            model_name='adjudication',
            name='adjudicator',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adjudications', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='adjudication',
            name='item',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='adjudication', to='annotate.queueitem'),
        ),
        migrations.AddField(
            model_name='adjudication',
            name='rubric_version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adjudications', to='llmops_core.rubricversion'),
        ),
        migrations.AddField(
            model_name='goldcheck',
            name='annotation',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='gold_check', to='annotate.annotation'),
        ),
        migrations.AddField(
            model_name='goldcheck',
            name='queue',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='gold_checks', to='annotate.queue'),
        ),
        migrations.AddField(
            model_name='goldcheck',
            name='reviewer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='gold_checks', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='itempin',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='itempin',
            name='item',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pins', to='annotate.queueitem'),
        ),
        migrations.AddField(
            model_name='itempin',
            name='reviewer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='item_pins', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='queue',
            constraint=models.CheckConstraint(condition=models.Q(('complete_count__lte', models.F('item_count'))), name='queue_complete_le_items'),
        ),
        migrations.AddConstraint(
            model_name='queue',
            constraint=models.CheckConstraint(condition=models.Q(('gold_every__gte', 2)), name='queue_gold_every'),
        ),
        migrations.AddIndex(
            model_name='goldcheck',
            index=models.Index(fields=['queue', 'reviewer'], name='goldcheck_queue_reviewer'),
        ),
        migrations.AddConstraint(
            model_name='goldcheck',
            constraint=models.CheckConstraint(condition=models.Q(('exact__lte', models.F('within_one')), ('within_one__lte', models.F('criteria'))), name='goldcheck_counts_ordered'),
        ),
        migrations.AddIndex(
            model_name='itempin',
            index=models.Index(fields=['reviewer', 'item'], name='itempin_reviewer'),
        ),
        migrations.AddConstraint(
            model_name='itempin',
            constraint=models.UniqueConstraint(fields=('item', 'reviewer'), name='itempin_unique'),
        ),
    ]
