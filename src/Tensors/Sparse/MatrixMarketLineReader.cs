using System.Globalization;
using System.Text;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// Reads a Matrix Market stream line by line and token by token from a fixed 64 KiB buffer:
/// memory never depends on what the file declares, a line longer than the buffer is an error,
/// and every error names the 1-based line.
/// </summary>
internal sealed class MatrixMarketLineReader
{
    public const int MaxLineBytes = 1 << 16;
    private readonly Stream _stream;
    private readonly byte[] _buf = new byte[MaxLineBytes];
    private int _start, _end;
    private bool _eof;
    private int _lineStart, _lineEnd, _cursor;

    public MatrixMarketLineReader(Stream stream) => _stream = stream;

    /// <summary>1-based number of the current line (0 before the first).</summary>
    public long Line { get; private set; }

    /// <summary>Advances to the next line; false at end of stream.</summary>
    public bool Next()
    {
        while (true)
        {
            int nl = Array.IndexOf(_buf, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                SetLine(_start, nl);
                _start = nl + 1;
                return true;
            }
            if (_eof)
            {
                if (_start == _end) return false;
                SetLine(_start, _end);
                _start = _end;
                return true;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buf.Length)
                throw Error($"is longer than {MaxLineBytes} bytes", Line + 1);
            int got = _stream.Read(_buf, _end, _buf.Length - _end);
            if (got == 0) _eof = true;
            else _end += got;
        }
    }

    private void SetLine(int s, int e)
    {
        if (e > s && _buf[e - 1] == (byte)'\r') e--;
        _lineStart = s;
        _lineEnd = e;
        _cursor = s;
        Line++;
    }

    /// <summary>The current line's bytes.</summary>
    public ReadOnlySpan<byte> Current => _buf.AsSpan(_lineStart, _lineEnd - _lineStart);

    /// <summary>The current line as text (for the header and messages).</summary>
    public string CurrentText => Encoding.UTF8.GetString(Current);

    /// <summary>True when the current line is empty or only whitespace.</summary>
    public bool IsBlank
    {
        get
        {
            foreach (byte c in Current) if (c != ' ' && c != '\t') return false;
            return true;
        }
    }

    /// <summary>The next whitespace-separated token of the current line, or an empty span at its end.</summary>
    public ReadOnlySpan<byte> Token()
    {
        int p = _cursor;
        while (p < _lineEnd && (_buf[p] == ' ' || _buf[p] == '\t')) p++;
        int s = p;
        while (p < _lineEnd && _buf[p] != ' ' && _buf[p] != '\t') p++;
        _cursor = p;
        return _buf.AsSpan(s, p - s);
    }

    /// <summary>Throws unless only whitespace is left on the line.</summary>
    public void ExpectEnd(string what)
    {
        var extra = Token();
        if (!extra.IsEmpty) throw Error($"has extra text '{Encoding.UTF8.GetString(extra)}' after the {what}");
    }

    /// <summary>Parses a decimal integer token (optional sign) as a long.</summary>
    public long Integer(string what)
    {
        var t = Token();
        if (t.IsEmpty) throw Error($"ends before the {what}");
        int p = 0;
        bool neg = false;
        if (t[0] == '-' || t[0] == '+') { neg = t[0] == '-'; p = 1; }
        if (p == t.Length) throw Error($"has '{Encoding.UTF8.GetString(t)}' where the {what} (an integer) should be");
        long v = 0;
        for (; p < t.Length; p++)
        {
            int d = t[p] - '0';
            if ((uint)d > 9) throw Error($"has '{Encoding.UTF8.GetString(t)}' where the {what} (an integer) should be");
            if (v > (long.MaxValue - d) / 10) throw Error($"has {what} '{Encoding.UTF8.GetString(t)}', which overflows");
            v = v * 10 + d;
        }
        return neg ? -v : v;
    }

    /// <summary>Parses a real token (decimal, exponent, inf/nan spelled in any case).</summary>
    public double Real(string what)
    {
        var t = Token();
        if (t.IsEmpty) throw Error($"ends before the {what}");
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        var s = Encoding.UTF8.GetString(t).ToLowerInvariant();
        switch (s)
        {
            case "inf": case "+inf": case "infinity": case "+infinity": return double.PositiveInfinity;
            case "-inf": case "-infinity": return double.NegativeInfinity;
            case "nan": case "+nan": case "-nan": return double.NaN;
        }
        throw Error($"has '{Encoding.UTF8.GetString(t)}' where the {what} (a number) should be");
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the current (or given) line.</summary>
    public InvalidDataException Error(string message, long? line = null) =>
        new($"Matrix Market line {line ?? Line} {message}.");
}
