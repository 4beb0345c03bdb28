using System.Text;

namespace Distill.Shared.Data;

/// <summary>
/// The lines of a UTF-8 text file, read a buffer at a time: the file's text with <c>"\r\n"</c> read as <c>"\n"</c>,
/// split at every <c>'\n'</c> (so joining the lines with <c>'\n'</c> gives that text back; a final newline gives a
/// final empty line). A byte-order mark is skipped.
/// </summary>
public static class TextFileLines
{
    private const int BufferCharacters = 1 << 16;

    public static IEnumerable<string> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var line = new StringBuilder();
        char[] buffer = new char[BufferCharacters];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                line.Append(buffer, start, i - start);
                yield return TakeLine(line);
                start = i + 1;
            }
            line.Append(buffer, start, read - start);
        }
        yield return line.ToString();
    }

    private static string TakeLine(StringBuilder line)
    {
        int length = line.Length > 0 && line[^1] == '\r' ? line.Length - 1 : line.Length;
        string text = line.ToString(0, length);
        line.Clear();
        return text;
    }
}
