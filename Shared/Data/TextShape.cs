namespace Distill.Shared.Data;

/// <summary>
/// Where a text's trimmed part lies: it starts after <see cref="Leading"/> characters and is <see cref="Length"/>
/// characters long (<see cref="string.Trim()"/>'s whitespace). An all-whitespace text has length 0.
/// </summary>
public readonly record struct TextShape(long Leading, long Length)
{
    public static TextShape Of(string text)
    {
        var meter = new Meter();
        meter.Add(text);
        return meter.Shape;
    }

    /// <summary>Measures the text that lines make when joined by <c>'\n'</c>, a line at a time.</summary>
    public sealed class Meter
    {
        private long _position;
        private bool _started;
        private long _first = -1;
        private long _end;

        public void Add(string line)
        {
            if (_started) _position++;
            _started = true;
            int first = FirstNonWhiteSpace(line);
            if (first >= 0)
            {
                if (_first < 0) _first = _position + first;
                _end = _position + LastNonWhiteSpace(line) + 1;
            }
            _position += line.Length;
        }

        public TextShape Shape => _first < 0 ? new TextShape(0, 0) : new TextShape(_first, _end - _first);

        private static int FirstNonWhiteSpace(string line)
        {
            for (int i = 0; i < line.Length; i++)
                if (!char.IsWhiteSpace(line[i])) return i;
            return -1;
        }

        private static int LastNonWhiteSpace(string line)
        {
            for (int i = line.Length - 1; i >= 0; i--)
                if (!char.IsWhiteSpace(line[i])) return i;
            return -1;
        }
    }
}
