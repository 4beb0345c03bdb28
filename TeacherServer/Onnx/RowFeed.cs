namespace Distill.TeacherServer.Onnx;

/// <summary>A row of a run: its whole token sequence, of which the first <see cref="PastLength"/> come from the past.</summary>
public sealed record RowFeed(int[] Tokens, int PastLength)
{
    public int NewLength => Tokens.Length - PastLength;
}
