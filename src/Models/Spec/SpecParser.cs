using NativeFree.Models.Layers;

namespace NativeFree.Models.Spec;

/// <summary>Builds one layer's spec from its SPEC arguments.</summary>
public delegate LayerSpec LayerFactory(SpecArgs args);

/// <summary>
/// Parses SPEC text — a space-separated list of layers, each NAME or NAME(ARGS) with positional values then
/// key=value pairs — into a <see cref="SequentialSpec"/>, e.g. <c>linear(128) relu linear(10)</c> or
/// <c>conv2d(16, 3, padding=same) batch_norm relu max_pool(2) flatten linear(10)</c>. The grammar is
/// one for the finite networks and for their kernels: the layer table is <see cref="SpecGrammar.Layers"/>,
/// and a caller may add its own names (the kernels add kernel-only activations). Errors are
/// <see cref="ArgumentException"/>s naming the 1-based column, with a caret under it.
/// </summary>
public static class SpecParser
{
    /// <summary>Deepest nesting of residual/fan_in parentheses accepted (deeper text is refused, not a stack overflow).</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses <paramref name="spec"/> with the standard layers and any <paramref name="extraLayers"/>.</summary>
    public static SequentialSpec Parse(string spec, IReadOnlyDictionary<string, LayerFactory>? extraLayers = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = new Parser(spec, extraLayers);
        var layers = p.LayerList(topLevel: true, depth: 0);
        if (layers.Count == 0) throw new ArgumentException("The network spec is empty: give layers such as \"linear(128) relu linear(10)\".", nameof(spec));
        return new SequentialSpec(layers.ToArray());
    }

    private sealed class Parser(string s, IReadOnlyDictionary<string, LayerFactory>? extra)
    {
        private int _i;

        private ArgumentException Error(int at, string message)
        {
            // Keep the echoed text short for huge inputs: show a window around the column.
            int from = Math.Max(0, at - 60), to = Math.Min(s.Length, at + 60);
            return new($"spec column {at + 1}: {message}\n  {(from > 0 ? "…" : "")}{s[from..to]}{(to < s.Length ? "…" : "")}\n  {new string(' ', at - from + (from > 0 ? 1 : 0))}^");
        }

        private void Skip() { while (_i < s.Length && char.IsWhiteSpace(s[_i])) _i++; }

        public List<LayerSpec> LayerList(bool topLevel, int depth)
        {
            var layers = new List<LayerSpec>();
            while (true)
            {
                Skip();
                if (_i >= s.Length) { if (!topLevel) throw Error(_i, "missing ')'"); return layers; }
                char c = s[_i];
                if (c is ')' or '|' or ',')
                {
                    if (topLevel) throw Error(_i, $"unexpected '{c}'");
                    return layers;
                }
                layers.Add(Layer(depth));
            }
        }

        private string Word()
        {
            int start = _i;
            while (_i < s.Length && (char.IsLetterOrDigit(s[_i]) || s[_i] is '_' or '.' or '-' or '+')) _i++;
            return s[start.._i];
        }

        private LayerSpec Layer(int depth)
        {
            int at = _i;
            string name = Word().ToLowerInvariant();
            if (name.Length == 0) throw Error(at, $"expected a layer name, found '{s[_i]}'");
            Skip();
            bool hasArgs = _i < s.Length && s[_i] == '(';
            if (name is "residual" or "fan_in_sum" or "fan_in_concat")
            {
                if (!hasArgs) throw Error(at, $"{name} needs branches in parentheses, e.g. {name}(linear(64) relu linear(64))");
                if (depth >= MaxDepth) throw Error(at, $"nesting deeper than {MaxDepth} levels");
                _i++;
                var branches = new List<SequentialSpec>();
                while (true)
                {
                    var list = LayerList(topLevel: false, depth + 1);
                    branches.Add(new SequentialSpec(list.ToArray()));
                    if (s[_i] == '|') { _i++; continue; }
                    if (s[_i] == ')') { _i++; break; }
                    throw Error(_i, $"{name}: expected '|' or ')'");
                }
                if (name == "residual")
                {
                    if (branches.Count != 1) throw Error(at, "residual takes one branch (use fan_in_sum for several)");
                    if (branches[0].Layers.Count == 0) throw Error(at, "residual: empty branch");
                    return new ResidualSpec(branches[0]);
                }
                return new ParallelSpec(name == "fan_in_sum" ? FanIn.Sum : FanIn.Concat, branches.Select(Unwrap).ToArray());
            }
            var args = hasArgs ? Args() : new SpecArgs([], new(), at, Error);
            args = new SpecArgs(args, name);
            LayerFactory? factory = null;
            if (extra is not null) extra.TryGetValue(name, out factory);
            if (factory is null && !SpecGrammar.Layers.TryGetValue(name, out factory))
            {
                var known = SpecGrammar.Layers.Keys.Concat(extra?.Keys ?? []).Concat(["residual", "fan_in_sum", "fan_in_concat"]).Distinct().OrderBy(k => k, StringComparer.Ordinal);
                throw Error(at, $"unknown layer '{name}'. Known: {string.Join(", ", known)}");
            }
            try
            {
                return factory(args);
            }
            catch (ArgumentException e) when (!e.Message.StartsWith("spec column", StringComparison.Ordinal))
            {
                throw Error(at, e.Message);
            }
        }

        // 'identity' alone is an empty branch (a skip connection).
        private static SequentialSpec Unwrap(SequentialSpec b)
            => b.Layers.Count == 1 && b.Layers[0] is IdentitySpec ? new SequentialSpec() : b;

        private SpecArgs Args()
        {
            int open = _i;
            _i++; // (
            var positional = new List<(string, int)>();
            var named = new Dictionary<string, (string, int)>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                Skip();
                if (_i >= s.Length) throw Error(open, "missing ')'");
                if (s[_i] == ')') { _i++; break; }
                int at = _i;
                string w = Word();
                if (w.Length == 0) throw Error(_i, $"unexpected '{s[_i]}' in arguments");
                Skip();
                if (_i < s.Length && s[_i] == '=')
                {
                    _i++; Skip();
                    int vAt = _i;
                    string v = Word();
                    if (v.Length == 0) throw Error(vAt, $"missing value for {w}");
                    if (!named.TryAdd(w, (v, vAt))) throw Error(at, $"argument '{w}' given twice");
                }
                else
                {
                    if (named.Count > 0) throw Error(at, "positional argument after key=value arguments");
                    positional.Add((w, at));
                }
                Skip();
                if (_i < s.Length && s[_i] == ',') { _i++; continue; }
                if (_i < s.Length && s[_i] == ')') { _i++; break; }
                throw Error(_i, _i < s.Length ? $"expected ',' or ')', found '{s[_i]}'" : "missing ')'");
            }
            return new SpecArgs(positional, named, open, Error);
        }
    }
}
