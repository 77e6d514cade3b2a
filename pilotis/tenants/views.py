"""The tenant administration page: members and roles, visual identity, accessibility statement."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent
from pilotis.errors import PilotisError
from pilotis.shell.models import AccessibilityStatement
from pilotis.tenants import services
from pilotis.tenants.access import TenantAccess, scope, tenant_view
from pilotis.tenants.forms import (
    AccessibilityStatementForm,
    AddMemberForm,
    ChangeRoleForm,
    IdentityForm,
)
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Perm


def _admin_page(request: HttpRequest, access: TenantAccess, **forms: object) -> HttpResponse:
    tenant = access.tenant
    statement = AccessibilityStatement.objects.filter(tenant=tenant).first()
    context = {
        "tenant": tenant,
        "access": access,
        "memberships": scope(Membership.objects.select_related("user"), access).order_by(
            "user__email"
        ),
        "add_form": AddMemberForm(),
        "identity_form": IdentityForm(instance=tenant),
        "statement_form": AccessibilityStatementForm(
            instance=statement, initial={"entity_name": tenant.name}
        ),
        "role_form": ChangeRoleForm(),
        "events": scope(AuditEvent.objects.all(), access)[:20],
    }
    context.update(forms)
    return render(request, "tenants/admin.html", context, status=400 if forms else 200)


@tenant_view(Perm.MANAGE_TENANT)
def admin(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return _admin_page(request, access)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def add_member(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        return _admin_page(request, access, add_form=form)
    email = form.cleaned_data["email"].lower()
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save()
    services.set_role(
        user, access.tenant, form.cleaned_data["role"], actor=request.user, request=request
    )
    messages.success(request, _("%(email)s now has access.") % {"email": email})
    return redirect("tenants:admin", tenant_code=access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def change_role(request: HttpRequest, access: TenantAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(scope(Membership.objects.all(), access), pk=membership_id)
    form = ChangeRoleForm(request.POST)
    if form.is_valid():
        try:
            services.set_role(
                membership.user,
                access.tenant,
                form.cleaned_data["role"],
                actor=request.user,
                request=request,
            )
        except PilotisError as error:
            messages.error(request, str(error))
    return redirect("tenants:admin", tenant_code=access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def remove_member(request: HttpRequest, access: TenantAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(scope(Membership.objects.all(), access), pk=membership_id)
    try:
        services.revoke(membership, actor=request.user, request=request)
    except PilotisError as error:
        messages.error(request, str(error))
    return redirect("tenants:admin", tenant_code=access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def identity(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = IdentityForm(request.POST, request.FILES, instance=access.tenant)
    if not form.is_valid():
        return _admin_page(request, access, identity_form=form)
    form.save()
    record(
        AuditEvent.Action.TENANT_UPDATED,
        actor=request.user,
        tenant=access.tenant,
        target="identity",
        details={"fields": form.changed_data},
        request=request,
    )
    messages.success(request, _("The visual identity is saved."))
    return redirect("tenants:admin", tenant_code=access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def accessibility_statement(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    statement = AccessibilityStatement.objects.filter(tenant=access.tenant).first()
    form = AccessibilityStatementForm(request.POST, instance=statement)
    if not form.is_valid():
        return _admin_page(request, access, statement_form=form)
    saved = form.save(commit=False)
    saved.tenant = access.tenant
    saved.save()
    record(
        AuditEvent.Action.TENANT_UPDATED,
        actor=request.user,
        tenant=access.tenant,
        target="accessibility_statement",
        request=request,
    )
    messages.success(request, _("The accessibility statement is saved."))
    return redirect("tenants:admin", tenant_code=access.tenant.code)
