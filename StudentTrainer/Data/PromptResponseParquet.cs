using Distill.Shared.Data;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Prompt → response pairs in a Parquet file, one a row, with the string columns of <see cref="PromptResponseFields"/>
/// (e.g. <c>prompt</c> and <c>completion</c>, as TRL's prompt-completion datasets hold them). A null value is a missing field.
/// </summary>
public static class PromptResponseParquet
{
    private static readonly string[] Columns = ["prompt", "response", "completion", "instruction", "context"];

    /// <summary>Whether <paramref name="path"/> names a Parquet file (by its extension).</summary>
    public static bool IsParquet(string path) => Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every pair of the file, in row order.</summary>
    /// <exception cref="InvalidDataException">The file is unreadable, or a row is not a valid pair; the message names the file and row.</exception>
    public static IReadOnlyList<PromptResponsePair> Read(string path)
    {
        var pairs = new List<PromptResponsePair>();
        foreach (string?[]?[] group in ParquetColumns.RowGroups(path, Columns))
        {
            int rows = group.FirstOrDefault(column => column is not null)?.Length
                ?? throw new InvalidDataException($"{path}: missing column 'prompt' and 'response' (or 'completion')");
            for (int row = 0; row < rows; row++)
            {
                try
                {
                    pairs.Add(PromptResponseFields.Pair(name => group[Array.IndexOf(Columns, name)]?[row], "column"));
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{path}, row {pairs.Count + 1}: {e.Message}", e);
                }
            }
        }
        return pairs;
    }
}
