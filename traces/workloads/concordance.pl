# The interpreter workload recorded for traces/perl-concordance.trace.xz: a concordance of the
# project's Swift sources (every identifier -> the places it occurs), the kind of text
# processing Perl is used for. Perl allocates every scalar, array, hash entry and string buffer
# with malloc. Usage: perl concordance.pl FILE... ; prints the 20 most frequent identifiers.
use strict;
use warnings;

my (%places, %count);
for my $file (@ARGV) {
    open(my $in, '<', $file) or die "$file: $!";
    while (my $line = <$in>) {
        next if $line =~ m{^\s*//};
        for my $word ($line =~ /\b([A-Za-z_][A-Za-z0-9_]{2,})\b/g) {
            $count{$word}++;
            push @{ $places{$word} }, "$file:$.";
        }
    }
    close $in;
}
my @ranked = sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count;
for my $word (@ranked[0 .. 19]) {
    my %files = map { (split /:/)[0] => 1 } @{ $places{$word} };
    printf "%-24s %6d uses in %3d files\n", $word, $count{$word}, scalar keys %files;
}
my $index = join "\n", map { "$_ " . join(",", @{ $places{$_} }) } sort keys %places;
printf "identifiers=%d index_bytes=%d\n", scalar @ranked, length $index;
