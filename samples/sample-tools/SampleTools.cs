using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.AI;

namespace Edgewise.Samples.Tools;

/// <summary>
/// The samples' tools over small fixed in-memory data: a retail kiosk (stock, alternatives, quotes, orders), a clinic
/// (appointment slots) and an IT help desk (service status, password resets). Whether a call needs a person's approval
/// is the caller's decision (<c>approval_required</c> in edgewise.yaml), not the server's.
/// </summary>
internal static class SampleTools
{
    private static readonly (string Sku, string Name, string Category, decimal Price, int Stock)[] s_products =
    [
        ("SKU-100", "trail running shoes", "shoes", 89.90m, 4),
        ("SKU-101", "road running shoes", "shoes", 74.50m, 0),
        ("SKU-102", "hiking boots", "shoes", 129.00m, 2),
        ("SKU-200", "rain jacket", "jackets", 59.00m, 7),
        ("SKU-201", "down jacket", "jackets", 149.00m, 1),
    ];

    private static readonly Dictionary<string, string[]> s_slots = new(StringComparer.OrdinalIgnoreCase)
    {
        ["general"] = ["09:00", "10:30", "14:00"],
        ["dental"] = ["11:00", "15:30"],
        ["physio"] = [],
    };

    /// <summary>The tool sets a sample serves, by the name given on the command line.</summary>
    public static IReadOnlyDictionary<string, string[]> Sets { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["retail"] = ["inventory_lookup", "find_alternatives", "price_quote", "place_order"],
        ["clinic"] = ["appointment_availability"],
        ["helpdesk"] = ["service_status", "reset_password"],
    };

    /// <summary>Every tool, in the order of <see cref="Sets"/>.</summary>
    public static IReadOnlyList<AIFunction> All { get; } =
    [
        AIFunctionFactory.Create(InventoryLookup, "inventory_lookup", "Looks up a product by name or SKU and returns its stock and price."),
        AIFunctionFactory.Create(FindAlternatives, "find_alternatives", "Lists in-stock products in the same category as the given product."),
        AIFunctionFactory.Create(PriceQuote, "price_quote", "Quotes the total price for a quantity of a product."),
        AIFunctionFactory.Create(PlaceOrder, "place_order", "Places an order for a quantity of a product."),
        AIFunctionFactory.Create(AppointmentAvailability, "appointment_availability", "Lists free appointment times for a department (general, dental, physio)."),
        AIFunctionFactory.Create(ServiceStatus, "service_status", "Reports whether an IT service (email, vpn, wifi, printer) is up."),
        AIFunctionFactory.Create(ResetPassword, "reset_password", "Starts a password reset for a user name."),
    ];

    private static string InventoryLookup([Description("Product name or SKU")] string product) =>
        Find(product) is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Sku} {p.Name}: {p.Stock} in stock at {p.Price:0.00} EUR")
            : "no product matches '" + product + "'";

    private static string FindAlternatives([Description("Product name or SKU")] string product)
    {
        if (Find(product) is not { } p)
        {
            return "no product matches '" + product + "'";
        }

        var names = s_products.Where(o => o.Category == p.Category && o.Sku != p.Sku && o.Stock > 0).Select(o => o.Sku + " " + o.Name).ToList();
        return names.Count == 0 ? "no alternatives in stock" : string.Join("; ", names);
    }

    private static string PriceQuote([Description("Product name or SKU")] string product, [Description("Quantity, 1-20")] int quantity)
    {
        if (Find(product) is not { } p)
        {
            return "no product matches '" + product + "'";
        }

        return quantity is < 1 or > 20
            ? "quantity must be between 1 and 20"
            : string.Create(CultureInfo.InvariantCulture, $"{quantity} x {p.Name} = {p.Price * quantity:0.00} EUR");
    }

    private static string PlaceOrder([Description("Product name or SKU")] string product, [Description("Quantity, 1-20")] int quantity)
    {
        if (Find(product) is not { } p)
        {
            return "no product matches '" + product + "'";
        }

        return quantity < 1 || quantity > p.Stock
            ? string.Create(CultureInfo.InvariantCulture, $"cannot order {quantity}: {p.Stock} in stock")
            : string.Create(CultureInfo.InvariantCulture, $"order placed: {quantity} x {p.Sku} {p.Name}");
    }

    private static string AppointmentAvailability([Description("Department: general, dental or physio")] string department) =>
        s_slots.TryGetValue(department, out var slots)
            ? slots.Length == 0 ? "no free slots in " + department : department + ": " + string.Join(", ", slots)
            : "unknown department '" + department + "'";

    private static string ServiceStatus([Description("Service: email, vpn, wifi or printer")] string service) =>
        service.ToLowerInvariant() switch
        {
            "email" or "wifi" => service + " is up",
            "vpn" => "vpn is degraded: reconnect after 5 minutes",
            "printer" => "printer is down for maintenance",
            _ => "unknown service '" + service + "'",
        };

    private static string ResetPassword([Description("The user name")] string user) =>
        "password reset link sent to the registered address of " + user;

    private static (string Sku, string Name, string Category, decimal Price, int Stock)? Find(string product)
    {
        foreach (var p in s_products)
        {
            if (string.Equals(p.Sku, product, StringComparison.OrdinalIgnoreCase) || p.Name.Contains(product, StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        return null;
    }
}
