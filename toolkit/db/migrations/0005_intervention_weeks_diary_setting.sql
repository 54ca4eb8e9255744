-- 0005: the intervention length is a named study setting, and whether diary entries may be an
-- outcome's baseline or follow-up is a study setting too (see toolkit/settings.py).
-- `study_weeks` (0002) becomes `intervention_weeks`, keeping the study's value.

update study_settings
set key = 'intervention_weeks',
    description = 'Length of the intervention in weeks, from the enrolment week (exposure '
        || 'weeks, weekly means and adherence count these weeks)'
where key = 'study_weeks';

insert into study_settings
select 'intervention_weeks', 12,
    'Length of the intervention in weeks, from the enrolment week (exposure weeks, weekly '
        || 'means and adherence count these weeks)'
where not exists (select 1 from study_settings where key = 'intervention_weeks');

insert into study_settings values (
    'outcomes_include_diary', 0,
    '1: diary entries (visit "diary") may be an outcome''s baseline or follow-up score; '
        || '0: scheduled-visit scores only'
);
