using System.Globalization;
using NativeFree.Kernels.Layers;

namespace NativeFree.Kernels.Spec;

/// <summary>
/// Parses a readable network description into layers, e.g.
/// <c>dense(512, w_std=1.5, b_std=0.05) relu dense(1, w_std=1.5, b_std=0.05)</c> or
/// <c>conv(64, 3, w_std=1.4) relu conv(64, 3) relu flatten dense(10)</c>. See <see cref="Grammar"/>.
/// Errors are <see cref="ArgumentException"/>s naming the 1-based column.
/// </summary>
public static class NetworkSpec
{
    /// <summary>The grammar and the layer list, as printed by <c>nativefree kernel --help</c>.</summary>
    public const string Grammar =
        "SPEC is a space-separated list of layers; a layer is NAME or NAME(ARGS), ARGS are positional values then\n" +
        "key=value pairs. Sizes like 3x3 give one value per spatial axis; b_std=none removes the bias.\n" +
        "  dense(width, w_std=1, b_std=0, parametrization=ntk|standard)\n" +
        "  conv(channels, filter=3, stride=1, padding=same|valid, w_std=1, b_std=0, parametrization=ntk)  2-D; filter 3 or 3x5\n" +
        "  conv1d(channels, filter=3, stride=1, padding=same, w_std=1, b_std=0, parametrization=ntk)\n" +
        "  relu  abrelu(a, b)  leaky_relu(alpha=0.01)  abs  erf(a=1, b=1, c=0)  gelu  sin(a=1, b=1, c=0)  cos(a=1, b=1, c=0)\n" +
        "  rbf(gamma=1)  sign  monomial(degree ≤ 16)  rectified_monomial(degree ≤ 128, max(x,0)^degree)  identity\n" +
        "  tanh  sigmoid  softplus  silu   (no closed form: Gauss–Hermite quadrature, points=64 per axis, φ′ by autodiff)\n" +
        "  avg_pool(window=2, stride=window, padding=valid)  avg_pool1d(window=2, …)  global_avg_pool  flatten\n" +
        "  layer_norm  dropout(keep, mode=train|test)\n" +
        "  residual(LAYERS)                     x + LAYERS(x)\n" +
        "  fan_in_sum(LAYERS | LAYERS | …)      parallel branches, summed (identity for a skip)\n" +
        "  fan_in_concat(LAYERS | LAYERS | …)   parallel branches, concatenated along channels\n" +
        "Every nonlinearity must follow dense/conv; spatial networks end in flatten or global_avg_pool before dense.";

    /// <summary>Parses <paramref name="spec"/> into a <see cref="Serial"/> network.</summary>
    public static Serial Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = new Parser(spec);
        var layers = p.LayerList(topLevel: true);
        if (layers.Count == 0) throw new ArgumentException("The network spec is empty: give layers such as \"dense(512) relu dense(1)\".", nameof(spec));
        return new Serial(layers.ToArray());
    }

    private sealed class Parser(string s)
    {
        private int _i;

        private ArgumentException Error(int at, string message) => new($"spec column {at + 1}: {message}\n  {s}\n  {new string(' ', Math.Min(at, s.Length))}^");

        private void Skip() { while (_i < s.Length && char.IsWhiteSpace(s[_i])) _i++; }

        public List<ILayer> LayerList(bool topLevel)
        {
            var layers = new List<ILayer>();
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
                layers.Add(Layer());
            }
        }

        private string Word()
        {
            int start = _i;
            while (_i < s.Length && (char.IsLetterOrDigit(s[_i]) || s[_i] is '_' or '.' or '-' or '+')) _i++;
            return s[start.._i];
        }

        private ILayer Layer()
        {
            int at = _i;
            string name = Word().ToLowerInvariant();
            if (name.Length == 0) throw Error(at, $"expected a layer name, found '{s[_i]}'");
            Skip();
            bool hasArgs = _i < s.Length && s[_i] == '(';
            if (name is "residual" or "fan_in_sum" or "fan_in_concat")
            {
                if (!hasArgs) throw Error(at, $"{name} needs branches in parentheses, e.g. {name}(dense(64) relu dense(64))");
                _i++;
                var branches = new List<ILayer>();
                while (true)
                {
                    int bAt = _i;
                    var list = LayerList(topLevel: false);
                    if (list.Count == 0) throw Error(bAt, $"{name}: empty branch");
                    branches.Add(list.Count == 1 ? list[0] : new Serial(list.ToArray()));
                    if (s[_i] == '|') { _i++; continue; }
                    if (s[_i] == ')') { _i++; break; }
                    throw Error(_i, $"{name}: expected '|' or ')'");
                }
                if (name == "residual")
                {
                    if (branches.Count != 1) throw Error(at, "residual takes one branch (use fan_in_sum for several)");
                    return new Branches(FanIn.Sum, new Identity(), branches[0]);
                }
                return new Branches(name == "fan_in_sum" ? FanIn.Sum : FanIn.Concat, branches.ToArray());
            }
            var args = hasArgs ? Args() : new Args([], new(), at);
            try
            {
                return Build(name, args, at);
            }
            catch (ArgumentException e) when (!e.Message.StartsWith("spec column", StringComparison.Ordinal))
            {
                throw Error(at, e.Message);
            }
        }

        private Args Args()
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
            return new Args(positional, named, open);
        }

        private ILayer Build(string name, Args a, int at)
        {
            switch (name)
            {
                case "dense":
                {
                    a.Accept(this, "width", "w_std", "b_std", "parametrization");
                    return new Dense(a.Int(this, "width", null), a.Num(this, "w_std", 1), a.OptNum(this, "b_std", 0), a.Param(this));
                }
                case "conv":
                case "conv1d":
                {
                    a.Accept(this, "channels", "filter", "stride", "padding", "w_std", "b_std", "parametrization");
                    int rank = name == "conv" ? 2 : 1;
                    var filter = a.Sizes(this, "filter", rank, 3);
                    var stride = a.Sizes(this, "stride", rank, 1);
                    return new Conv(a.Int(this, "channels", null), filter, stride, a.Pad(this, Padding.Same), a.Num(this, "w_std", 1), a.OptNum(this, "b_std", 0), a.Param(this));
                }
                case "relu": a.Accept(this); return new Relu();
                case "abrelu": a.Accept(this, "a", "b"); return new ABRelu(a.Num(this, "a", null), a.Num(this, "b", null));
                case "leaky_relu": a.Accept(this, "alpha"); return new LeakyRelu(a.Num(this, "alpha", 0.01));
                case "abs": a.Accept(this); return new Abs();
                case "erf": a.Accept(this, "a", "b", "c"); return new Erf(a.Num(this, "a", 1), a.Num(this, "b", 1), a.Num(this, "c", 0));
                case "gelu": a.Accept(this); return new Gelu();
                case "sin": a.Accept(this, "a", "b", "c"); return new Sin(a.Num(this, "a", 1), a.Num(this, "b", 1), a.Num(this, "c", 0));
                case "cos": a.Accept(this, "a", "b", "c"); return Sin.Cos(a.Num(this, "a", 1), a.Num(this, "b", 1), a.Num(this, "c", 0));
                case "rbf": a.Accept(this, "gamma"); return new Rbf(a.Num(this, "gamma", 1));
                case "sign": a.Accept(this); return new Sign();
                case "monomial": a.Accept(this, "degree"); return new Monomial(a.Int(this, "degree", null));
                case "rectified_monomial": a.Accept(this, "degree"); return new RectifiedMonomial(a.Int(this, "degree", null));
                case "identity": a.Accept(this); return new Identity();
                // No closed form: 2-D Gauss–Hermite quadrature with φ′ by Autograd (QuadratureActivation.FromAutograd).
                case "tanh": a.Accept(this, "points"); return QuadratureActivation.FromAutograd(v => v.Tanh(), a.Int(this, "points", 64), "tanh");
                case "sigmoid": a.Accept(this, "points"); return QuadratureActivation.FromAutograd(v => v.Sigmoid(), a.Int(this, "points", 64), "sigmoid");
                case "softplus": a.Accept(this, "points"); return QuadratureActivation.FromAutograd(v => v.Softplus(), a.Int(this, "points", 64), "softplus");
                case "silu": a.Accept(this, "points"); return QuadratureActivation.FromAutograd(v => v * v.Sigmoid(), a.Int(this, "points", 64), "silu");
                case "avg_pool":
                case "avg_pool1d":
                {
                    a.Accept(this, "window", "stride", "padding");
                    int rank = name == "avg_pool" ? 2 : 1;
                    var window = a.Sizes(this, "window", rank, 2);
                    var stride = a.Has("stride") ? a.Sizes(this, "stride", rank, 1) : window;
                    return new AvgPool(window, stride, a.Pad(this, Padding.Valid));
                }
                case "global_avg_pool": a.Accept(this); return new GlobalAvgPool();
                case "flatten": a.Accept(this); return new Flatten();
                case "layer_norm": a.Accept(this); return new LayerNorm();
                case "dropout":
                {
                    a.Accept(this, "keep", "mode");
                    string mode = a.Str("mode", "train");
                    if (mode is not ("train" or "test")) throw Error(a.At("mode"), $"dropout mode must be train or test, got '{mode}'");
                    return new Dropout(a.Num(this, "keep", null), mode == "train");
                }
                default:
                    throw Error(at, $"unknown layer '{name}'. Known: dense, conv, conv1d, relu, abrelu, leaky_relu, abs, erf, gelu, sin, cos, rbf, sign, " +
                        "monomial, rectified_monomial, identity, tanh, sigmoid, softplus, silu, avg_pool, avg_pool1d, global_avg_pool, flatten, layer_norm, dropout, residual, fan_in_sum, fan_in_concat");
            }
        }

        public ArgumentException Fail(int at, string message) => Error(at, message);
    }

    private sealed class Args(List<(string Value, int At)> positional, Dictionary<string, (string Value, int At)> named, int open)
    {
        private readonly Dictionary<string, (string Value, int At)> _values = new(StringComparer.OrdinalIgnoreCase);

        public void Accept(Parser p, params string[] names)
        {
            if (positional.Count > names.Length)
                throw p.Fail(positional[names.Length].At, names.Length == 0 ? "this layer takes no arguments" : $"too many arguments (this layer takes {string.Join(", ", names)})");
            for (int i = 0; i < positional.Count; i++) _values[names[i]] = positional[i];
            foreach (var (given, v) in named)
            {
                // neural-tangents spells it 'parameterization'; both spellings mean the same argument.
                string k = given.Equals("parameterization", StringComparison.OrdinalIgnoreCase) ? "parametrization" : given;
                if (!names.Contains(k, StringComparer.OrdinalIgnoreCase))
                    throw p.Fail(v.At - given.Length - 1, $"unknown argument '{k}'" + (names.Length > 0 ? $" (known: {string.Join(", ", names)})" : " (this layer takes none)"));
                if (_values.ContainsKey(k)) throw p.Fail(v.At, $"argument '{k}' given both by position and by name");
                _values[k] = v;
            }
        }

        public bool Has(string name) => _values.ContainsKey(name);
        public int At(string name) => _values.TryGetValue(name, out var v) ? v.At : open;
        public string Str(string name, string fallback) => _values.TryGetValue(name, out var v) ? v.Value.ToLowerInvariant() : fallback;

        public double Num(Parser p, string name, double? fallback)
        {
            if (!_values.TryGetValue(name, out var v))
                return fallback ?? throw p.Fail(open, $"missing required argument '{name}'");
            if (!double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                throw p.Fail(v.At, $"'{name}' expects a number, got '{v.Value}'");
            return d;
        }

        public double? OptNum(Parser p, string name, double fallback)
            => _values.TryGetValue(name, out var v) && v.Value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Num(p, name, fallback);

        public int Int(Parser p, string name, int? fallback)
        {
            if (!_values.TryGetValue(name, out var v))
                return fallback ?? throw p.Fail(open, $"missing required argument '{name}'");
            if (!int.TryParse(v.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
                throw p.Fail(v.At, $"'{name}' expects an integer, got '{v.Value}'");
            return i;
        }

        public int[] Sizes(Parser p, string name, int rank, int fallback)
        {
            if (!_values.TryGetValue(name, out var v)) return Enumerable.Repeat(fallback, rank).ToArray();
            var parts = v.Value.Split('x');
            var r = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out r[i]))
                    throw p.Fail(v.At, $"'{name}' expects a size like 3 or 3x3, got '{v.Value}'");
            if (r.Length == 1) return Enumerable.Repeat(r[0], rank).ToArray();
            if (r.Length != rank) throw p.Fail(v.At, $"'{name}' has {r.Length} sizes for {rank} spatial axes");
            return r;
        }

        public Padding Pad(Parser p, Padding fallback)
        {
            if (!_values.TryGetValue("padding", out var v)) return fallback;
            return v.Value.ToLowerInvariant() switch
            {
                "same" => Padding.Same,
                "valid" => Padding.Valid,
                _ => throw p.Fail(v.At, $"padding must be same or valid, got '{v.Value}'"),
            };
        }

        public Parametrization Param(Parser p)
        {
            if (!_values.TryGetValue("parametrization", out var v)) return Parametrization.Ntk;
            return v.Value.ToLowerInvariant() switch
            {
                "ntk" => Parametrization.Ntk,
                "standard" => Parametrization.Standard,
                _ => throw p.Fail(v.At, $"parametrization must be ntk or standard, got '{v.Value}'"),
            };
        }
    }
}
