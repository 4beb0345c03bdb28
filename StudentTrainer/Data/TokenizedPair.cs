namespace Distill.StudentTrainer.Data;

/// <summary>The token ids of a prompt and of its response; the training sequence is the two concatenated.</summary>
public sealed record TokenizedPair(int[] Prompt, int[] Response);
