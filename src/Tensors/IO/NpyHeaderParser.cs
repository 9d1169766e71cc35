using System.Text;

namespace NativeFree.Tensors.IO;

/// <summary>
/// Parses the Python-literal dict of a .npy header, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>, working on bytes so
/// every error can name its absolute byte offset. Only the literals NumPy writes are accepted.
/// </summary>
internal ref struct NpyHeaderParser
{
    private readonly ReadOnlySpan<byte> _s;
    private readonly long _base; // file offset of _s[0]
    private int _i;

    private NpyHeaderParser(ReadOnlySpan<byte> s, long baseOffset)
    {
        _s = s; _base = baseOffset; _i = 0;
    }

    /// <summary>Parses the dict and returns (descr, fortran_order, shape).</summary>
    public static (string Descr, bool Fortran, int[] Shape) Parse(ReadOnlySpan<byte> header, long baseOffset)
    {
        var p = new NpyHeaderParser(header, baseOffset);
        return p.ParseDict();
    }

    private InvalidDataException Error(string what) => new($"Malformed .npy header at byte {_base + _i}: {what}.");

    private void SkipSpace()
    {
        while (_i < _s.Length && (_s[_i] == ' ' || _s[_i] == '\t' || _s[_i] == '\n' || _s[_i] == '\r')) _i++;
    }

    private bool TryEat(char c)
    {
        SkipSpace();
        if (_i < _s.Length && _s[_i] == c) { _i++; return true; }
        return false;
    }

    private void Expect(char c)
    {
        if (!TryEat(c)) throw Error(_i < _s.Length ? $"expected '{c}' but found '{(char)_s[_i]}'" : $"expected '{c}' but the header ended");
    }

    private (string, bool, int[]) ParseDict()
    {
        string? descr = null; bool? fortran = null; int[]? shape = null;
        Expect('{');
        while (!TryEat('}'))
        {
            int keyAt = _i;
            string key = ParseString();
            Expect(':');
            switch (key)
            {
                case "descr":
                    if (descr != null) throw Error("duplicate key 'descr'");
                    SkipSpace();
                    if (_i < _s.Length && _s[_i] == '[') throw Error("structured dtypes (a descr list) are not supported");
                    descr = ParseString();
                    break;
                case "fortran_order":
                    if (fortran != null) throw Error("duplicate key 'fortran_order'");
                    fortran = ParseBool();
                    break;
                case "shape":
                    if (shape != null) throw Error("duplicate key 'shape'");
                    shape = ParseShape();
                    break;
                default:
                    _i = keyAt;
                    throw Error($"unexpected key '{key}' (a .npy header has exactly descr, fortran_order and shape)");
            }
            if (!TryEat(','))
            {
                Expect('}');
                break;
            }
        }
        SkipSpace();
        if (_i < _s.Length) throw Error($"unexpected '{(char)_s[_i]}' after the header dict");
        if (descr is null || fortran is null || shape is null)
            throw new InvalidDataException($"Malformed .npy header at byte {_base}: missing key(s) {(descr is null ? "descr " : "")}{(fortran is null ? "fortran_order " : "")}{(shape is null ? "shape" : "")}.");
        return (descr, fortran.Value, shape);
    }

    private string ParseString()
    {
        SkipSpace();
        if (_i >= _s.Length || (_s[_i] != '\'' && _s[_i] != '"')) throw Error("expected a quoted string");
        byte q = _s[_i++];
        int start = _i;
        while (_i < _s.Length && _s[_i] != q)
        {
            if (_s[_i] == '\\') throw Error("escape sequences are not supported in header strings");
            _i++;
        }
        if (_i >= _s.Length) throw Error("unterminated string");
        string s = Encoding.Latin1.GetString(_s[start.._i]);
        _i++;
        return s;
    }

    private bool ParseBool()
    {
        SkipSpace();
        if (_s[_i..].StartsWith("True"u8)) { _i += 4; return true; }
        if (_s[_i..].StartsWith("False"u8)) { _i += 5; return false; }
        throw Error("fortran_order must be True or False");
    }

    private int[] ParseShape()
    {
        SkipSpace();
        char close;
        if (TryEat('(')) close = ')';
        else if (TryEat('[')) close = ']';
        else throw Error("shape must be a tuple");
        var dims = new List<int>();
        while (!TryEat(close))
        {
            if (dims.Count >= 64) throw Error("shape has more than 64 axes");
            dims.Add(ParseDim());
            if (!TryEat(','))
            {
                Expect(close);
                break;
            }
        }
        return [.. dims];
    }

    private int ParseDim()
    {
        SkipSpace();
        int start = _i;
        if (_i < _s.Length && _s[_i] == '-') throw Error("negative dimension in shape");
        long v = 0;
        while (_i < _s.Length && _s[_i] >= '0' && _s[_i] <= '9')
        {
            v = v * 10 + (_s[_i] - '0');
            if (v > int.MaxValue) { _i = start; throw Error("dimension larger than int.MaxValue"); }
            _i++;
        }
        if (_i == start) throw Error("expected a dimension (non-negative integer)");
        if (_i < _s.Length && (_s[_i] == 'L' || _s[_i] == 'l')) _i++; // Python 2 long literal
        return (int)v;
    }
}
