"""Logistics records: the item catalogue and kits, warehouses, stock by lot and expiry, minimum levels, and the
movements (receipts, requests, shipments, distributions, adjustments) that are the only way stock changes.

Quantities are whole numbers in the item's own unit of measure (a kilogram of rice, a litre of water, a
piece, a kit). A lot's quantity can never go below zero: services lock the lot rows (select_for_update)
before taking from them, and a database check constraint refuses a negative value whatever the code does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Item(models.Model):
    """One catalogue item (IFRC / PIRAC catalogue rows, and our own items for the Perka BNPB needs lines)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=20)
    category = models.CharField(_("category"), max_length=120, blank=True)
    category_code = models.CharField(_("category code"), max_length=20, blank=True)
    catalog = models.CharField(_("catalogue"), max_length=20, blank=True, db_index=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    volume_cm3 = models.PositiveIntegerField(_("volume (cm³)"), null=True, blank=True)
    # Unit value in hundredths of the currency (CHF 3.10 -> 310).
    unit_value_cents = models.PositiveBigIntegerField(_("unit value (cents)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    url = models.URLField(_("catalogue page"), max_length=500, blank=True)
    image_url = models.URLField(_("image"), max_length=500, blank=True)
    # True for items whose code the importer derived from catalogue + name (the source row had none).
    code_derived = models.BooleanField(default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["name", "code"]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class KitComponent(models.Model):
    """One line of a kit: the kit (itself an item that can be stocked) holds `quantity` of a component item."""

    kit = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="components", verbose_name=_("kit"))
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="in_kits",
                                  verbose_name=_("component"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("kit component")
        verbose_name_plural = _("kit components")
        ordering = ["kit", "component__name"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="uniq_kit_component"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="kit_component_quantity_positive"),
            models.CheckConstraint(condition=~models.Q(kit=models.F("component")), name="kit_not_own_component"),
        ]

    def __str__(self):
        return f"{self.kit.code}: {self.quantity} × {self.component.code}"


class NeedsItem(models.Model):
    """Which stock items satisfy a needs-estimate line (siaga.disaster.needs item keys such as "rice").

    One item unit covers `units_per_item` units of the need (a 5 L jerrycan of drinking water covers 5 L).
    """

    needs_item = models.CharField(_("needs line"), max_length=40, db_index=True)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="needs_lines", verbose_name=_("item"))
    units_per_item = models.PositiveIntegerField(_("need units per item unit"), default=1)

    class Meta:
        verbose_name = _("needs line mapping")
        verbose_name_plural = _("needs line mappings")
        ordering = ["needs_item", "item__code"]
        constraints = [
            models.UniqueConstraint(fields=["needs_item", "item"], name="uniq_needs_item"),
            models.CheckConstraint(condition=models.Q(units_per_item__gt=0), name="needs_units_positive"),
        ]

    def __str__(self):
        return f"{self.needs_item} <- {self.item.code}"


class Warehouse(models.Model):
    """A store of relief items held by one organisation."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="warehouses",
                                     verbose_name=_("organisation"))
    region_code = models.CharField(_("region code"), max_length=13, db_index=True)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_warehouse_org_code"),
            models.CheckConstraint(condition=(models.Q(lat__isnull=True) & models.Q(lon__isnull=True))
                                   | (models.Q(lat__gte=-90) & models.Q(lat__lte=90)
                                      & models.Q(lon__gte=-180) & models.Q(lon__lte=180)),
                                   name="warehouse_lat_lon_valid"),
        ]

    def __str__(self):
        return self.name


class StockLot(models.Model):
    """A quantity of one item in one warehouse from one lot (same lot number, same expiry)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="lots",
                                  verbose_name=_("warehouse"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", verbose_name=_("item"))
    lot_number = models.CharField(_("lot number"), max_length=60, blank=True)
    expiry = models.DateField(_("expiry date"), null=True, blank=True, db_index=True)
    quantity = models.BigIntegerField(_("quantity"))
    received_at = models.DateTimeField(_("first received"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the near-expiry alert for this lot went out, so it goes out once.
    expiry_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")
        ordering = ["expiry", "id"]
        constraints = [
            # The last line of defence: whatever a service does, stock never goes negative.
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_lot_quantity_not_negative"),
            models.UniqueConstraint(fields=["warehouse", "item", "lot_number"], name="uniq_stock_lot"),
        ]
        indexes = [models.Index(fields=["item", "warehouse"], name="stock_lot_item_warehouse")]

    def __str__(self):
        return f"{self.item.code} {self.lot_number or '-'} × {self.quantity}"


class MinimumLevel(models.Model):
    """The least a warehouse should hold of an item; falling below it raises an alert once per crossing."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="minimums",
                                  verbose_name=_("warehouse"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="minimums", verbose_name=_("item"))
    quantity = models.PositiveBigIntegerField(_("minimum quantity"))
    # When the stock last fell below the minimum; cleared when it is back at or above it.
    breached_at = models.DateTimeField(_("below minimum since"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("minimum level")
        verbose_name_plural = _("minimum levels")
        ordering = ["warehouse", "item"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "item"], name="uniq_minimum_warehouse_item")]

    def __str__(self):
        return f"{self.warehouse} {self.item.code} ≥ {self.quantity}"


class Request(models.Model):
    """A request for relief items from an organisation, usually for a disaster event."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTIAL = "partial", _("Partly shipped")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requesting organisation"))
    region_code = models.CharField(_("deliver to region"), max_length=13, db_index=True)
    event = models.ForeignKey("disaster.DisasterEvent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="logistics_requests", verbose_name=_("disaster event"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("logistics request")
        verbose_name_plural = _("logistics requests")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"


class RequestLine(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.PositiveBigIntegerField(_("quantity requested"))
    quantity_shipped = models.PositiveBigIntegerField(_("quantity shipped"), default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="uniq_request_item"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="request_line_quantity_positive"),
        ]


class Shipment(models.Model):
    """Items sent from one warehouse: sent -> in transit -> received (with what actually arrived)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")

    # The sending organisation (the owner of the source warehouse).
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("sending organisation"))
    region_code = models.CharField(_("region code"), max_length=13, db_index=True)
    from_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="shipments_out",
                                       verbose_name=_("from warehouse"))
    # Where it goes: one of the sender's own warehouses, or a destination area (a post, an evacuation site).
    to_warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="shipments_in", verbose_name=_("to warehouse"))
    destination_region_code = models.CharField(_("destination region"), max_length=13, blank=True)
    destination = models.CharField(_("destination"), max_length=300, blank=True)
    event = models.ForeignKey("disaster.DisasterEvent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="logistics_shipments", verbose_name=_("disaster event"))
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="shipments", verbose_name=_("request"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SENT,
                              db_index=True)
    note = models.TextField(_("note"), blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    in_transit_at = models.DateTimeField(_("in transit since"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    has_discrepancy = models.BooleanField(_("discrepancy"), default=False)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-sent_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.from_warehouse} ({self.get_status_display()})"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+", verbose_name=_("source lot"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    lot_number = models.CharField(_("lot number"), max_length=60, blank=True)
    expiry = models.DateField(_("expiry date"), null=True, blank=True)
    quantity = models.PositiveBigIntegerField(_("quantity sent"))
    received_quantity = models.PositiveBigIntegerField(_("quantity received"), null=True, blank=True)
    discrepancy_note = models.CharField(_("discrepancy"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(received_quantity__isnull=True)
                                   | models.Q(received_quantity__lte=models.F("quantity")),
                                   name="shipment_line_received_within_sent"),
        ]

    @property
    def discrepancy(self) -> int | None:
        return None if self.received_quantity is None else self.quantity - self.received_quantity


class Distribution(models.Model):
    """Items handed to beneficiaries in one kelurahan (households and people counted)."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="distributions",
                                  verbose_name=_("from warehouse"))
    # The kelurahan where the items were handed out.
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    event = models.ForeignKey("disaster.DisasterEvent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="logistics_distributions", verbose_name=_("disaster event"))
    households = models.PositiveIntegerField(_("households"))
    people = models.PositiveIntegerField(_("people"))
    distributed_at = models.DateTimeField(_("distributed at"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-distributed_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(households__lte=models.F("people")),
                                              name="distribution_households_within_people")]

    def __str__(self):
        return f"#{self.pk} {self.region_code}"


class DistributionLine(models.Model):
    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.PositiveBigIntegerField(_("quantity"))

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                              name="distribution_line_quantity_positive")]


class Movement(models.Model):
    """One change of one lot's quantity: the stock ledger. Every change of StockLot.quantity writes one."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SHIPMENT_OUT = "shipment_out", _("Shipment sent")
        SHIPMENT_IN = "shipment_in", _("Shipment received")
        DISTRIBUTION = "distribution", _("Distribution")
        ADJUSTMENT = "adjustment", _("Adjustment")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, db_index=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    # Signed: positive into the lot, negative out of it.
    quantity_change = models.BigIntegerField(_("quantity change"))
    quantity_after = models.BigIntegerField(_("quantity after"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    distribution = models.ForeignKey(Distribution, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity_change=0), name="movement_changes_something"),
            models.CheckConstraint(condition=models.Q(quantity_after__gte=0), name="movement_after_not_negative"),
        ]

    def __str__(self):
        return f"{self.kind} {self.quantity_change:+d} {self.item_id}"
