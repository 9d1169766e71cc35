using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NativeFree.Cli;

/// <summary>
/// The CLI's JSON output for structured results (experiment result objects). Non-finite numbers are
/// written as the strings "NaN"/"Infinity" rather than failing, so a diverged figure is still reported.
/// </summary>
public static class Json
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    /// <summary>Serialises numbers, strings, booleans, arrays, lists and string-keyed dictionaries.</summary>
    public static string Write(object? value, bool indented = false) =>
        JsonSerializer.Serialize(value, indented ? Indented : Compact);
}
