using System.Globalization;

namespace NativeFree.Cli;

/// <summary>
/// A deliberately small argument parser: positional words, <c>--name value</c>,
/// <c>--name=value</c>, repeated options and boolean flags. Unknown options are errors.
/// </summary>
public sealed class CliArgs
{
    private readonly List<string> _positional = new();
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string name = a, value;
                int eq = a.IndexOf('=');
                if (eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; }
                else if (flags.Contains(a)) value = "true";
                else if (i + 1 < list.Count) value = list[++i];
                else throw new CliException($"option {a} needs a value");
                if (!_options.TryGetValue(name, out var values)) _options[name] = values = new List<string>();
                values.Add(value);
            }
            else _positional.Add(a);
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Has(string name) { _used.Add(name); return _options.ContainsKey(name); }

    public bool Flag(string name) { _used.Add(name); return _options.ContainsKey(name); }

    public string? Get(string name) { _used.Add(name); return _options.TryGetValue(name, out var v) ? v[^1] : null; }

    public IReadOnlyList<string> GetAll(string name) { _used.Add(name); return _options.TryGetValue(name, out var v) ? v : Array.Empty<string>(); }

    public string Require(string name) => Get(name) ?? throw new CliException($"missing required option {name}");

    public int GetInt(string name, int fallback)
    {
        var s = Get(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new CliException($"option {name} expects an integer, got '{s}'");
        return v;
    }

    public double GetDouble(string name, double fallback)
    {
        var s = Get(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new CliException($"option {name} expects a number, got '{s}'");
        return v;
    }

    /// <summary>Throws when an option was given that no code asked about (a typo, usually).</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys)
            if (!_used.Contains(name)) throw new CliException($"unknown option {name}");
    }
}

/// <summary>An error the user can fix; printed without a stack trace, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
