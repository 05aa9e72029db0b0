"""factory_boy factories: every test builds the rows it needs, no JSON fixtures."""

import datetime

import factory

from trigger.models import BodyRegion, Differential, Module, ModuleItem, Muscle
from users.models import Practice, User


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = User.Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ClinicianFactory(UserFactory):
    role = User.Role.CLINICIAN
    practice = factory.SubFactory(PracticeFactory)


class PatientUserFactory(UserFactory):
    role = User.Role.PATIENT


class EditorFactory(UserFactory):
    role = User.Role.EDITOR
    is_staff = True


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


class MuscleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Muscle
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Muscle {n}")
    slug = factory.LazyAttribute(lambda m: m.name.lower().replace(" ", "-"))
    area = "Somewhere in the leg."


class BodyRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BodyRegion
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.LazyAttribute(lambda r: r.name.lower().replace(" ", "-"))


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    muscle = factory.SubFactory(MuscleFactory)
    kind = Module.Kind.STRETCHING
    name = "Stretching"
    setting = Module.Setting.HOME


class ModuleItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModuleItem

    module = factory.SubFactory(ModuleFactory)
    name = factory.Sequence(lambda n: f"Exercise {n}")
    text = "Stand with one foot behind the other."
    instructions = factory.LazyAttribute(lambda i: i.text)
    sets = 3
    reps = 10


class DifferentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Differential

    muscle = factory.SubFactory(MuscleFactory)
    name = factory.Sequence(lambda n: f"Condition {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Program"

    owner = factory.SubFactory(ClinicianFactory)
    title = factory.Sequence(lambda n: f"Program {n}")


class ProgramItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.ProgramItem"

    program = factory.SubFactory(ProgramFactory)
    library_item = factory.SubFactory(ModuleItemFactory)
    library_updated_at = factory.LazyAttribute(lambda i: i.library_item.updated_at)
    module_kind = "stretching"
    name = factory.LazyAttribute(lambda i: i.library_item.name)
    instructions = factory.LazyAttribute(lambda i: i.library_item.instructions)
    sets = 3
    reps = 10
    order = factory.Sequence(lambda n: n)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Patient"

    user = factory.SubFactory(PatientUserFactory)
    clinician = factory.SubFactory(ClinicianFactory)
    time_zone = "Europe/London"


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Assignment"

    patient = factory.SubFactory(PatientFactory)
    program = factory.SubFactory(ProgramFactory, owner=factory.SelfAttribute("..patient.clinician"))
    title = factory.LazyAttribute(lambda a: a.program.title)
    starts_on = factory.LazyFunction(datetime.date.today)
    assigned_by = factory.SelfAttribute("patient.clinician")
