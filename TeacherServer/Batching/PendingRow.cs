namespace Distill.TeacherServer.Batching;

/// <summary>A row waiting in the batcher, with the width its request needs to run (<see cref="BatchSelection"/>).</summary>
/// <param name="Width">Positions the row is expected to run: all of them, or those after the prefix the cache holds for it.</param>
/// <param name="WidthClass">The class of the widest row of its request: ⌈log₂ width⌉; rows of one class share runs.</param>
public sealed record PendingRow(RowWork Row, int Width, int WidthClass);
