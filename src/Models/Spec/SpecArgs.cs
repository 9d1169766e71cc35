using System.Globalization;

namespace NativeFree.Models.Spec;

/// <summary>
/// The arguments of one layer in SPEC text, positional values then key=value pairs, with typed readers
/// whose errors name the argument and its column. A layer's factory calls <see cref="Accept"/> with the
/// names it takes (positional arguments bind to them in order), then reads each one.
/// </summary>
public sealed class SpecArgs
{
    private readonly List<(string Value, int At)> _positional;
    private readonly Dictionary<string, (string Value, int At)> _named;
    private readonly Dictionary<string, (string Value, int At)> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<int, string, ArgumentException> _error;
    private readonly int _open;

    internal SpecArgs(List<(string, int)> positional, Dictionary<string, (string, int)> named, int open, Func<int, string, ArgumentException> error)
    {
        _positional = positional; _named = named; _open = open; _error = error;
    }

    // The same arguments, labelled with the layer's name for messages.
    internal SpecArgs(SpecArgs a, string layer) : this(a._positional, a._named, a._open, a._error) { Layer = layer; }

    /// <summary>The layer's name as written.</summary>
    public string Layer { get; } = "";

    /// <summary>An error at a column of the SPEC, with the caret line.</summary>
    public ArgumentException Error(int at, string message) => _error(at, message);

    /// <summary>An error at the layer's argument list.</summary>
    public ArgumentException Error(string message) => _error(_open, message);

    /// <summary>Binds positional arguments to <paramref name="names"/> and rejects unknown or repeated ones.</summary>
    public void Accept(params string[] names)
    {
        if (_positional.Count > names.Length)
            throw Error(_positional[names.Length].At, names.Length == 0 ? $"{Layer} takes no arguments" : $"too many arguments ({Layer} takes {string.Join(", ", names)})");
        for (int i = 0; i < _positional.Count; i++) _values[names[i]] = _positional[i];
        foreach (var (k, v) in _named)
        {
            string key = Canonical(k);
            if (!names.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw Error(v.At - k.Length - 1, $"unknown argument '{k}' for {Layer}" + (names.Length > 0 ? $" (known: {string.Join(", ", names)})" : " (it takes none)"));
            if (_values.ContainsKey(key)) throw Error(v.At, $"argument '{k}' given both by position and by name");
            _values[key] = v;
        }
    }

    // neural-tangents spells it 'parameterization'; both are accepted.
    private static string Canonical(string key) => key.Equals("parameterization", StringComparison.OrdinalIgnoreCase) ? "parametrization" : key;

    /// <summary>True when the argument was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The column of an argument (or of the argument list).</summary>
    public int At(string name) => _values.TryGetValue(name, out var v) ? v.At : _open;

    /// <summary>A word argument, lower-cased.</summary>
    public string Str(string name, string fallback) => _values.TryGetValue(name, out var v) ? v.Value.ToLowerInvariant() : fallback;

    /// <summary>A finite number; required when <paramref name="fallback"/> is null.</summary>
    public double Num(string name, double? fallback)
    {
        if (!_values.TryGetValue(name, out var v))
            return fallback ?? throw Error($"{Layer}: missing required argument '{name}'");
        if (!double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
            throw Error(v.At, $"'{name}' expects a finite number, got '{v.Value}'");
        return d;
    }

    /// <summary>A number, <c>none</c> (null), or null when absent and <paramref name="fallback"/> is null.</summary>
    public double? OptNum(string name, double? fallback)
    {
        if (!_values.TryGetValue(name, out var v)) return fallback;
        return v.Value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Num(name, null);
    }

    /// <summary>True when the argument is given as <c>none</c>.</summary>
    public bool IsNone(string name) => _values.TryGetValue(name, out var v) && v.Value.Equals("none", StringComparison.OrdinalIgnoreCase);

    /// <summary>An integer; required when <paramref name="fallback"/> is null.</summary>
    public int Int(string name, int? fallback)
    {
        if (!_values.TryGetValue(name, out var v))
            return fallback ?? throw Error($"{Layer}: missing required argument '{name}'");
        if (!int.TryParse(v.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
            throw Error(v.At, $"'{name}' expects an integer, got '{v.Value}'");
        return i;
    }

    /// <summary>true/false (also 1/0, yes/no).</summary>
    public bool Bool(string name, bool fallback)
    {
        if (!_values.TryGetValue(name, out var v)) return fallback;
        return v.Value.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw Error(v.At, $"'{name}' expects true or false, got '{v.Value}'"),
        };
    }

    /// <summary>One size per spatial axis, written 3 (all axes) or 3x5.</summary>
    public int[] Sizes(string name, int rank, int[]? fallback)
    {
        if (!_values.TryGetValue(name, out var v))
            return fallback ?? throw Error($"{Layer}: missing required argument '{name}'");
        var parts = v.Value.Split('x');
        var r = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out r[i]))
                throw Error(v.At, $"'{name}' expects a size like 3 or 3x3, got '{v.Value}'");
        if (r.Length == 1) return Enumerable.Repeat(r[0], rank).ToArray();
        if (r.Length != rank) throw Error(v.At, $"'{name}' has {r.Length} sizes for {rank} spatial axes");
        return r;
    }

    /// <summary>The parametrization argument (standard, ntk, mup, mup-adam), or <paramref name="fallback"/>.</summary>
    public Parametrization Param(Parametrization fallback)
    {
        if (!_values.TryGetValue("parametrization", out var v)) return fallback;
        try { return Parametrization.Parse(v.Value); }
        catch (ArgumentException e) { throw Error(v.At, e.Message); }
    }

    /// <summary>A μP role (input, hidden, output) or <see cref="LayerRole.Auto"/>.</summary>
    public LayerRole Role()
    {
        if (!_values.TryGetValue("role", out var v)) return LayerRole.Auto;
        return v.Value.ToLowerInvariant() switch
        {
            "input" => LayerRole.Input,
            "hidden" => LayerRole.Hidden,
            "output" => LayerRole.Output,
            "auto" => LayerRole.Auto,
            _ => throw Error(v.At, $"role must be input, hidden, output or auto, got '{v.Value}'"),
        };
    }
}
