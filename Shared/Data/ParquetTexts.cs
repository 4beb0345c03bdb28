namespace Distill.Shared.Data;

/// <summary>The documents of a Parquet file: its string column <c>text</c>, one document a row (null counts as empty).</summary>
public static class ParquetTexts
{
    /// <summary>The name of the column that holds a document.</summary>
    public const string Column = "text";

    /// <summary>Every document, read row group by row group.</summary>
    /// <exception cref="InvalidDataException">The file is unreadable or has no <c>text</c> column.</exception>
    public static IEnumerable<string> Read(string path)
    {
        foreach (string?[]?[] group in ParquetColumns.RowGroups(path, [Column]))
        {
            string?[] texts = group[0] ?? throw new InvalidDataException($"{path}: missing column '{Column}'");
            foreach (string? text in texts) yield return text ?? "";
        }
    }
}
